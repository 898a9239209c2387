"""Migration operations the apps share."""

from __future__ import annotations

from typing import Any

from django.db import migrations


class AddIndexOnPostgreSQL(migrations.AddIndex):
    """An index only PostgreSQL can build (GIN, trigrams): SQLite gets nothing, the
    migration state has it on both so that the models and the migrations agree."""

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, *args)

    def database_backwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, *args)
