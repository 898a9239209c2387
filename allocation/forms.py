"""allocation: forms."""
