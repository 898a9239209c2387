"""governance: forms."""
