"""A part of a word ("carto") sought through a trigram index instead of three
case-folded LIKEs evaluated on every project: the name and both summaries in
capitals, stored beside the full-text vector by the same service and filled here
for the projects that exist (PostgreSQL; SQLite gets the column only, it searches
the texts themselves)."""

import django.contrib.postgres.indexes
from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Concat, Upper

from librery.migration_operations import AddIndexOnPostgreSQL


def fill(apps, schema_editor):
    # `projects.services.catalogue.search_text()`, as it was written with this migration.
    if schema_editor.connection.vendor != "postgresql":
        return
    Project = apps.get_model("projects", "Project")
    Project.objects.using(schema_editor.connection.alias).update(
        search_text=Upper(Concat("name", Value("\n"), "summary", Value("\n"), "summary_en"))
    )


class Migration(migrations.Migration):
    dependencies = [("projects", "0011_counts")]

    operations = [
        migrations.AddField(
            model_name="project",
            name="search_text",
            field=models.TextField(editable=False, null=True),
        ),
        AddIndexOnPostgreSQL(
            model_name="project",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_text"], name="project_search_text_idx", opclasses=["gin_trgm_ops"]
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
