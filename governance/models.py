"""governance: models."""
