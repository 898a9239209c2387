"""A project page's public contributors read from two indexes instead of every
pledge: the project's earmarks with their pledges (`earmark_by_project`, which
replaces the index of the project alone) and each paid pledge's contributor
(`pledge_paid_contributor`, partial)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contributors", "0010_counts"),
        ("projects", "0012_search_text"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="earmark",
            index=models.Index(fields=["project", "pledge"], name="earmark_by_project"),
        ),
        migrations.AlterField(
            model_name="earmark",
            name="project",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="earmarks",
                to="projects.project",
                verbose_name="project",
            ),
        ),
        migrations.AddIndex(
            model_name="pledge",
            index=models.Index(
                condition=models.Q(("status__in", ("active", "paused", "completed"))),
                fields=["id", "contributor"],
                name="pledge_paid_contributor",
            ),
        ),
    ]
