"""governance: selectors."""
