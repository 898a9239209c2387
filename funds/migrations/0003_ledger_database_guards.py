"""The database itself keeps the ledger honest (PostgreSQL): ledger rows are
never updated or deleted, and at commit every journal has at least two legs
that sum to zero. SQLite relies on `funds.services.journal_post`."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION funds_ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER funds_journal_append_only
    BEFORE UPDATE OR DELETE ON funds_journal
    FOR EACH ROW EXECUTE FUNCTION funds_ledger_refuse_change();
CREATE TRIGGER funds_journalleg_append_only
    BEFORE UPDATE OR DELETE ON funds_journalleg
    FOR EACH ROW EXECUTE FUNCTION funds_ledger_refuse_change();

CREATE OR REPLACE FUNCTION funds_journal_check_balanced() RETURNS trigger AS $$
DECLARE
    journal bigint;
    total numeric;
    legs bigint;
BEGIN
    IF TG_TABLE_NAME = 'funds_journal' THEN
        journal := NEW.id;
    ELSE
        journal := NEW.journal_id;
    END IF;
    SELECT coalesce(sum(amount_cents), 0), count(*) INTO total, legs
        FROM funds_journalleg WHERE journal_id = journal;
    IF legs < 2 THEN
        RAISE EXCEPTION 'journal % has % leg(s); a journal needs at least two', journal, legs
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF total <> 0 THEN
        RAISE EXCEPTION 'journal % is unbalanced: its legs sum to %', journal, total
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER funds_journal_balanced
    AFTER INSERT ON funds_journal DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION funds_journal_check_balanced();
CREATE CONSTRAINT TRIGGER funds_journalleg_balanced
    AFTER INSERT ON funds_journalleg DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION funds_journal_check_balanced();
"""

REVERSE = """
DROP TRIGGER IF EXISTS funds_journalleg_balanced ON funds_journalleg;
DROP TRIGGER IF EXISTS funds_journal_balanced ON funds_journal;
DROP FUNCTION IF EXISTS funds_journal_check_balanced();
DROP TRIGGER IF EXISTS funds_journalleg_append_only ON funds_journalleg;
DROP TRIGGER IF EXISTS funds_journal_append_only ON funds_journal;
DROP FUNCTION IF EXISTS funds_ledger_refuse_change();
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
    dependencies = [("funds", "0002_ledger_payments_receipts_bank_transfers")]

    operations = [migrations.RunPython(forward, reverse)]
