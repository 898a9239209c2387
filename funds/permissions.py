"""funds: permissions."""
