"""The catalogue's order on PostgreSQL (names in the ICU collation, then the name
and id): an index in that order, so that a page of the catalogue reads its rows
instead of sorting every project. SQLite has no such collation and sorts."""

import django.db.models.functions.comparison
from django.db import migrations, models

from librery.migration_operations import AddIndexOnPostgreSQL


class Migration(migrations.Migration):
    dependencies = [("projects", "0009_lead_search")]

    operations = [
        AddIndexOnPostgreSQL(
            model_name="project",
            index=models.Index(
                django.db.models.functions.comparison.Collate("name", "und-x-icu"),
                models.F("name"),
                models.F("id"),
                name="project_by_name_idx",
            ),
        ),
    ]
