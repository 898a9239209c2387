"""contributors API: urls."""
