"""TRUNCATE refused on the ledger (PostgreSQL; see librery 0004): its rows are
never updated or deleted, and a TRUNCATE fires no row trigger."""

from django.db import migrations

TABLES = ("funds_journal", "funds_journalleg")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(
                    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION librery_refuse_truncate()"
                )


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")


class Migration(migrations.Migration):
    dependencies = [("funds", "0011_project_totals"), ("librery", "0004_refuse_truncate")]

    operations = [migrations.RunPython(forward, reverse)]
