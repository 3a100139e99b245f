"""Generator-quality metrics: pure functions of features, probabilities and labels."""
