"""An index for the daily charge run: active monthly pledges by next charge date
(issue 16: the run selects what is due, never a scan of every pledge)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("contributors", "0007_sbom")]

    operations = [
        migrations.AddIndex(
            model_name="pledge",
            index=models.Index(
                condition=models.Q(("frequency", "monthly"), ("status", "active")),
                fields=["next_charge_date"],
                name="pledge_monthly_due",
            ),
        ),
    ]
