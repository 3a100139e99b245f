"""Training loops: short functions over in-memory tensors, no DataLoader."""
