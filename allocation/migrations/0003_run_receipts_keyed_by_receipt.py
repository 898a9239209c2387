"""A run's taken receipts keyed by the receipt itself, without foreign-key
constraints: taking a million receipts no longer writes a surrogate id and a
third index, nor locks and re-reads every receipt row at commit. What the
constraints gave, triggers keep on PostgreSQL: a taken receipt cannot be
deleted, nor a run that took receipts, and taken rows are never changed.
SQLite relies on the services, which never delete either."""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
CREATE OR REPLACE FUNCTION allocation_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'receipts taken by a run are never changed: % on % refused',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER allocation_runreceipt_append_only
    BEFORE UPDATE OR DELETE ON allocation_runreceipt
    FOR EACH ROW EXECUTE FUNCTION allocation_refuse_change();

CREATE OR REPLACE FUNCTION allocation_refuse_taken_delete() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'funds_receipt' THEN
        PERFORM 1 FROM allocation_runreceipt WHERE receipt_id = OLD.id;
    ELSE
        PERFORM 1 FROM allocation_runreceipt WHERE run_id = OLD.id LIMIT 1;
    END IF;
    IF FOUND THEN
        RAISE EXCEPTION '% % was taken by an allocation run: delete refused',
            TG_TABLE_NAME, OLD.id USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER allocation_receipt_taken_kept
    BEFORE DELETE ON funds_receipt
    FOR EACH ROW EXECUTE FUNCTION allocation_refuse_taken_delete();
CREATE TRIGGER allocation_run_taken_kept
    BEFORE DELETE ON allocation_allocationrun
    FOR EACH ROW EXECUTE FUNCTION allocation_refuse_taken_delete();

DROP INDEX IF EXISTS allocation_runreceipt_run_id_ef596b12;
CREATE INDEX allocation_runreceipt_run_brin ON allocation_runreceipt USING brin (run_id);
"""

# SQLite keeps a plain index on the run.
FORWARD_SQLITE = """
CREATE INDEX IF NOT EXISTS allocation_runreceipt_run_id
    ON allocation_runreceipt (run_id);
"""

REVERSE = """
DROP INDEX IF EXISTS allocation_runreceipt_run_brin;
DROP TRIGGER IF EXISTS allocation_run_taken_kept ON allocation_allocationrun;
DROP TRIGGER IF EXISTS allocation_receipt_taken_kept ON funds_receipt;
DROP FUNCTION IF EXISTS allocation_refuse_taken_delete();
DROP TRIGGER IF EXISTS allocation_runreceipt_append_only ON allocation_runreceipt;
DROP FUNCTION IF EXISTS allocation_refuse_change();
"""


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(FORWARD)
        else:
            cursor.execute(FORWARD_SQLITE)


def reverse(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(REVERSE)
        else:
            cursor.execute("DROP INDEX IF EXISTS allocation_runreceipt_run_id")


class Migration(migrations.Migration):
    dependencies = [
        ("allocation", "0002_approvals_batches_payouts"),
        ("funds", "0007_receipt_earmark_lines"),
    ]

    operations = [
        migrations.RemoveField(model_name="runreceipt", name="id"),
        migrations.AlterField(
            model_name="runreceipt",
            name="receipt",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                primary_key=True,
                related_name="allocation",
                serialize=False,
                to="funds.receipt",
                verbose_name="receipt",
            ),
        ),
        migrations.AlterField(
            model_name="runreceipt",
            name="run",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="taken",
                to="allocation.allocationrun",
                verbose_name="run",
            ),
        ),
        migrations.RunPython(forward, reverse),
    ]
