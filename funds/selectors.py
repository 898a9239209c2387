"""funds: selectors."""
