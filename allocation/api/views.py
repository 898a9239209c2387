"""allocation API: views."""
