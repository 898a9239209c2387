# Placeholder reserved for a piece of work in progress: its operations are filled in by that work.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("funds", "0012_statement_import")]

    operations = []  # type: ignore[var-annotated]
