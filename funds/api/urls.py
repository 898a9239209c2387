"""funds API: urls."""
