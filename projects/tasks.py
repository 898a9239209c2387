"""projects: tasks."""
