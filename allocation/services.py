"""allocation: services."""
