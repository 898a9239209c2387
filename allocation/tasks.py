"""allocation: tasks."""
