"""The database itself keeps the publication log append-only (PostgreSQL): its
rows are never updated or deleted. SQLite relies on the model's save and delete."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION librery_publication_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the publication log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER librery_publicationentry_append_only
    BEFORE UPDATE OR DELETE ON librery_publicationentry
    FOR EACH ROW EXECUTE FUNCTION librery_publication_refuse_change();
"""

REVERSE = """
DROP TRIGGER IF EXISTS librery_publicationentry_append_only ON librery_publicationentry;
DROP FUNCTION IF EXISTS librery_publication_refuse_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [("librery", "0002_publication_log")]

    operations = [migrations.RunPython(forward, reverse)]
