"""allocation: permissions."""
