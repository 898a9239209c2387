"""The deferred check that a journal balances ran once per leg, each time
summing every leg of the journal: quadratic in a journal's legs (a monthly
allocation journal with 10 000 project legs spent 30 s in it at commit). Now
only a journal's last leg (and the journal row itself) runs the sum, found in
one probe of a (journal, id) index that replaces the plain journal index. Any
leg added later to a journal is that journal's new last leg, so every change
is still checked at commit."""

from django.db import migrations, models

FORWARD = """
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
        -- Another leg of the same journal comes after this one: its own
        -- check (or the journal's) sums the journal, with this leg in it.
        PERFORM 1 FROM funds_journalleg WHERE journal_id = journal AND id > NEW.id LIMIT 1;
        IF FOUND THEN
            RETURN NULL;
        END IF;
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
"""

REVERSE = """
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
    dependencies = [("funds", "0008_statement_lines_end_to_end_and_returns")]

    operations = [
        migrations.AddIndex(
            model_name="journalleg",
            index=models.Index(fields=["journal", "id"], name="funds_leg_journal_id_idx"),
        ),
        migrations.AlterField(
            model_name="journalleg",
            name="journal",
            field=models.ForeignKey(
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="legs",
                to="funds.journal",
                verbose_name="journal",
            ),
        ),
        migrations.RunPython(forward, reverse),
    ]
