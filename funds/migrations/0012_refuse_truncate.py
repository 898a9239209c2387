"""TRUNCATE refused on the ledger (PostgreSQL; see librery 0004): its rows are
never updated or deleted, and a TRUNCATE fires no row trigger."""

from django.db import migrations

from librery.migration_operations import refuse_truncate


class Migration(migrations.Migration):
    dependencies = [("funds", "0011_project_totals"), ("librery", "0004_refuse_truncate")]

    operations = [refuse_truncate("funds_journal", "funds_journalleg")]
