"""governance: admin."""
