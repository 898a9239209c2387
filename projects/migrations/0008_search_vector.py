"""The catalogue's full-text vector, stored and GIN-indexed (PostgreSQL), instead of
computed from every project's texts on each search; filled here for the projects
that exist. SQLite gets the column only (it searches the texts themselves)."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.contrib.postgres.search import SearchVector
from django.db import migrations


class AddIndexOnPostgreSQL(migrations.AddIndex):
    """A GIN index: PostgreSQL has it, SQLite knows nothing of it (the state has it
    on both, so that the models and the migrations agree)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def fill(apps, schema_editor):
    # `projects.services.catalogue.search_vector()`, as it was written with this migration.
    if schema_editor.connection.vendor != "postgresql":
        return
    Project = apps.get_model("projects", "Project")
    Project.objects.using(schema_editor.connection.alias).update(
        search_vector=SearchVector("name", weight="A", config="french")
        + SearchVector("summary", "description", config="french")
        + SearchVector("summary_en", "description_en", config="english")
    )


class Migration(migrations.Migration):
    dependencies = [("projects", "0007_project_identifiers")]

    operations = [
        migrations.AddField(
            model_name="project",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        AddIndexOnPostgreSQL(
            model_name="project",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="project_search_vector_idx"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
