# Placeholder reserved for a piece of work in progress: its operations are filled in by that work.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("projects", "0005_free_text_limits_and_visible_names")]

    operations = []  # type: ignore[var-annotated]
