"""allocation: enums."""
