"""governance: tasks."""
