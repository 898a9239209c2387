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


def keep_counts(table: str, counts: str, columns: tuple[str, ...]) -> migrations.RunPython:
    """Count `table`'s rows by `columns` in `counts` (a table with those columns,
    unique together, and `total`), kept by row triggers on both vendors: every
    insert, delete and change of those columns, whoever writes (a service, the
    admin, a COPY), moves the count in the same transaction, so a page reads a few
    rows instead of counting every row. Fills `counts` from the rows there."""
    keys = ", ".join(columns)
    new_values = ", ".join(f"NEW.{column}" for column in columns)
    old_match = " AND ".join(f"{column} = OLD.{column}" for column in columns)
    changed = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in columns)
    add = (
        f"INSERT INTO {counts} ({keys}, total) VALUES ({new_values}, 1) "  # noqa: S608 -- fixed names
        f"ON CONFLICT ({keys}) DO UPDATE SET total = {counts}.total + 1"
    )
    remove = f"UPDATE {counts} SET total = total - 1 WHERE {old_match}"  # noqa: S608 -- fixed names
    fill = (
        f"INSERT INTO {counts} ({keys}, total) SELECT {keys}, COUNT(*) FROM {table} "  # noqa: S608 -- fixed names
        f"GROUP BY {keys}"
    )

    def forward(apps: Any, schema_editor: Any) -> None:
        with schema_editor.connection.cursor() as cursor:
            if schema_editor.connection.vendor == "postgresql":
                cursor.execute(
                    f"CREATE FUNCTION {counts}_keep() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    f"BEGIN IF TG_OP <> 'INSERT' THEN {remove}; END IF; "
                    f"IF TG_OP <> 'DELETE' THEN {add}; END IF; RETURN NULL; END $$"
                )
                cursor.execute(
                    f"CREATE TRIGGER {table}_counted AFTER INSERT OR DELETE ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION {counts}_keep()"
                )
                cursor.execute(
                    f"CREATE TRIGGER {table}_recounted AFTER UPDATE OF {keys} ON {table} "
                    f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {counts}_keep()"
                )
            else:
                cursor.execute(
                    f"CREATE TRIGGER {table}_counted AFTER INSERT ON {table} BEGIN {add}; END"
                )
                cursor.execute(
                    f"CREATE TRIGGER {table}_uncounted AFTER DELETE ON {table} BEGIN {remove}; END"
                )
                cursor.execute(
                    f"CREATE TRIGGER {table}_recounted AFTER UPDATE OF {keys} ON {table} "
                    f"WHEN {changed.replace('IS DISTINCT FROM', 'IS NOT')} "
                    f"BEGIN {remove}; {add}; END"
                )
            cursor.execute(fill)

    def reverse(apps: Any, schema_editor: Any) -> None:
        with schema_editor.connection.cursor() as cursor:
            if schema_editor.connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_counted ON {table}")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_recounted ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {counts}_keep()")
            else:
                for name in ("counted", "uncounted", "recounted"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_{name}")
            cursor.execute(f"DELETE FROM {counts}")  # noqa: S608 -- a fixed name

    return migrations.RunPython(forward, reverse)
