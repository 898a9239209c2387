"""governance: enums."""
