"""funds: enums."""
