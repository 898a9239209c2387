"""governance API: views."""
