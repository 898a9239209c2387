"""contributors: tasks."""
