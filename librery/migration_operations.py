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


def refuse_truncate(*tables: str) -> migrations.RunPython:
    """Guard `tables` against TRUNCATE on PostgreSQL with the statement trigger
    `librery_refuse_truncate()` (librery 0004, which a migration using this
    depends on); SQLite has no TRUNCATE."""

    def forward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(
                        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                        "FOR EACH STATEMENT EXECUTE FUNCTION librery_refuse_truncate()"
                    )

    def reverse(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")

    return migrations.RunPython(forward, reverse)
