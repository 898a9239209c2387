"""funds: tasks."""
