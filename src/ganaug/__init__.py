"""ganaug."""
