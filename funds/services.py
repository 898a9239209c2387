"""funds: services."""
