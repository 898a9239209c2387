"""contributors: forms."""
