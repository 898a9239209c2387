"""contributors API: views."""
