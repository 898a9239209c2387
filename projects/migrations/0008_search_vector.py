# Placeholder reserved for a piece of work in progress: its operations are filled in by that work.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("projects", "0007_project_identifiers")]

    operations = []  # type: ignore[var-annotated]
