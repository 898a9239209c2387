"""allocation API: urls."""
