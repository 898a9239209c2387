"""Catalogue search that forgives a typo in a project's name: PostgreSQL's pg_trgm
extension (trusted: a database owner may create it) and a GIN trigram index on
the name. SQLite gets neither and searches the texts as before."""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from librery.migration_operations import AddIndexOnPostgreSQL


class Migration(migrations.Migration):
    dependencies = [("projects", "0008_search_vector")]

    operations = [
        TrigramExtension(),
        AddIndexOnPostgreSQL(
            model_name="project",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["name"], name="project_name_trigram_idx", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]
