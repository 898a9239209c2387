"""funds: forms."""
