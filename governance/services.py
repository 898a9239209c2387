"""governance: services."""
