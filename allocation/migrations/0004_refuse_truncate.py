"""TRUNCATE refused on the receipts taken by runs, and on the runs and receipts
that row triggers keep once taken (PostgreSQL; see librery 0004): a TRUNCATE
fires no row trigger."""

from django.db import migrations

TABLES = ("allocation_runreceipt", "allocation_allocationrun", "funds_receipt")


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
    dependencies = [
        ("allocation", "0003_run_receipts_keyed_by_receipt"),
        ("librery", "0004_refuse_truncate"),
    ]

    operations = [migrations.RunPython(forward, reverse)]
