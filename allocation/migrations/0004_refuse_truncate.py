"""TRUNCATE refused on the receipts taken by runs, and on the runs and receipts
that row triggers keep once taken (PostgreSQL; see librery 0004): a TRUNCATE
fires no row trigger."""

from django.db import migrations

from librery.migration_operations import refuse_truncate


class Migration(migrations.Migration):
    dependencies = [
        ("allocation", "0003_run_receipts_keyed_by_receipt"),
        ("librery", "0004_refuse_truncate"),
    ]

    operations = [
        refuse_truncate("allocation_runreceipt", "allocation_allocationrun", "funds_receipt")
    ]
