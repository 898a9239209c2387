"""Each project's totals since the fund began (`ProjectTotal`), kept by
`journal_post` beside its monthly totals, so that the catalogue's "most funded"
sort reads one row per project instead of adding up its months (at ten times a
national fund's volume that sum made the sort four times slower); filled here
from the monthly totals (one grouped query), as `check_books` compares them."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Sum

FIELDS = ("received_cents", "earmarked_cents", "pool_cents", "paid_cents", "balance_cents")


def fill(apps, schema_editor):
    ProjectMonthTotal = apps.get_model("funds", "ProjectMonthTotal")
    ProjectTotal = apps.get_model("funds", "ProjectTotal")
    db = schema_editor.connection.alias
    rows = (
        ProjectMonthTotal.objects.using(db)
        .order_by()
        .values("project_id")
        .annotate(**{name: Sum(name) for name in FIELDS})
    )
    ProjectTotal.objects.using(db).bulk_create(
        (
            ProjectTotal(project_id=row["project_id"], **{name: row[name] for name in FIELDS})
            for row in rows.iterator()
        ),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("funds", "0012_refuse_truncate"),
        ("projects", "0009_lead_search"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProjectTotal",
            fields=[
                (
                    "project",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="money_total",
                        serialize=False,
                        to="projects.project",
                        verbose_name="project",
                    ),
                ),
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
                ("paid_cents", models.BigIntegerField(default=0, verbose_name="paid out (cents)")),
                (
                    "balance_cents",
                    models.BigIntegerField(default=0, verbose_name="balance (cents)"),
                ),
            ],
            options={
                "verbose_name": "project total",
                "verbose_name_plural": "project totals",
                "ordering": ["project_id"],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
