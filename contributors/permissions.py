"""contributors: permissions."""
