"""governance API: urls."""
