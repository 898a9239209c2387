"""funds: admin."""
