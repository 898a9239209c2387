"""allocation: admin."""
