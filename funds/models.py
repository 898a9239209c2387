"""funds: models."""
