"""contributors: services."""
