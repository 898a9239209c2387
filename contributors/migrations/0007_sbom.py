# Placeholder reserved for a piece of work in progress: its operations are filled in by that work.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("contributors", "0006_clear_email_derived_names")]

    operations = []  # type: ignore[var-annotated]
