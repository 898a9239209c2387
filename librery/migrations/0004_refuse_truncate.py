"""TRUNCATE refused on the append-only tables (PostgreSQL).

Row triggers refuse UPDATE and DELETE of ledger rows, published entries and
receipts taken by a run, but TRUNCATE fires no row trigger: `manage.py flush`
or a stray `TRUNCATE ... CASCADE` would empty them. A statement trigger on
each refuses it. The test database's connections set `librery.truncate` to
`allowed` (`librery/settings/test.py`): Django empties every table with
TRUNCATE between transactional tests. Like the other guards, this stops an
accident, not the database's owner (who can drop a trigger). This migration
makes the function and guards this app's table; `funds` and `allocation`
guard theirs with it."""

from django.db import migrations

from librery.migration_operations import refuse_truncate

FORWARD = """
CREATE OR REPLACE FUNCTION librery_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('librery.truncate', true) = 'allowed' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

REVERSE = "DROP FUNCTION IF EXISTS librery_refuse_truncate();"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [("librery", "0003_publication_log_append_only")]

    operations = [
        migrations.RunPython(forward, reverse),
        refuse_truncate("librery_publicationentry"),
    ]
