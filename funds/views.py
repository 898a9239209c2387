"""funds: views."""
