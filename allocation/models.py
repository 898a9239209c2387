"""allocation: models."""
