"""Each project's monthly totals (received, earmarked, from the pool, paid out,
balance change), kept by `journal_post` as it books, so that pages read them
instead of summing the ledger's legs; filled here from the legs booked so far
(one grouped query), as `funds.selectors.project_totals_from_ledger` computes
them and `check_books` compares them."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import DateField, F, Q, Sum
from django.db.models.functions import TruncMonth

FUND_TIME_ZONE = "Europe/Paris"
FIELDS = ("received_cents", "earmarked_cents", "pool_cents", "paid_cents", "balance_cents")


def fill(apps, schema_editor):
    from zoneinfo import ZoneInfo  # noqa: PLC0415 -- only when the migration runs

    JournalLeg = apps.get_model("funds", "JournalLeg")
    ProjectMonthTotal = apps.get_model("funds", "ProjectMonthTotal")
    db = schema_editor.connection.alias
    legs = JournalLeg.objects.using(db)
    pool_debits = legs.filter(account__kind="pool", amount_cents__gt=0).values("journal_id")
    payout = Q(journal__source="payout")
    rows = (
        legs.filter(account__kind="project")
        .annotate(
            month=TruncMonth(
                "journal__booked_at", output_field=DateField(), tzinfo=ZoneInfo(FUND_TIME_ZONE)
            )
        )
        .values("account__project_id", "month")
        .annotate(
            received_cents=Sum(-F("amount_cents"), filter=Q(amount_cents__lt=0) & ~payout),
            earmarked_cents=Sum(
                -F("amount_cents"),
                filter=Q(journal__source="allocation") & ~Q(journal_id__in=pool_debits),
            ),
            pool_cents=Sum(-F("amount_cents"), filter=Q(journal_id__in=pool_debits) & ~payout),
            paid_cents=Sum("amount_cents", filter=payout),
            balance_cents=Sum(-F("amount_cents")),
        )
        .order_by()
    )
    ProjectMonthTotal.objects.using(db).bulk_create(
        (
            ProjectMonthTotal(
                project_id=row["account__project_id"],
                month=row["month"],
                **{name: row[name] or 0 for name in FIELDS},
            )
            for row in rows.iterator()
        ),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("funds", "0010_failed_monthly_charges_index"),
        ("projects", "0007_project_identifiers"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProjectMonthTotal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("month", models.DateField(verbose_name="month")),
                (
                    "received_cents",
                    models.BigIntegerField(default=0, verbose_name="received (cents)"),
                ),
                (
                    "earmarked_cents",
                    models.BigIntegerField(default=0, verbose_name="earmarked (cents)"),
                ),
                (
                    "pool_cents",
                    models.BigIntegerField(default=0, verbose_name="from the pool (cents)"),
                ),
                (
                    "paid_cents",
                    models.BigIntegerField(default=0, verbose_name="paid out (cents)"),
                ),
                (
                    "balance_cents",
                    models.BigIntegerField(default=0, verbose_name="balance change (cents)"),
                ),
                (
                    "project",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="month_totals",
                        to="projects.project",
                        verbose_name="project",
                    ),
                ),
            ],
            options={
                "verbose_name": "project month total",
                "verbose_name_plural": "project month totals",
                "ordering": ["project_id", "month"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("project", "month"), name="project_month_total_once"
                    )
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
