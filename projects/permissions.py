"""projects: permissions."""
