"""funds API: views."""
