"""Projects counted by status and source in a table kept by row triggers
(`librery.migration_operations.keep_counts`): the home and transparency pages
read a few rows instead of counting every project."""

from django.db import migrations, models

from librery.migration_operations import keep_counts


class Migration(migrations.Migration):

    dependencies = [
        ("projects", "0010_catalogue_order_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProjectCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("status", models.CharField(max_length=20)),
                ("source", models.CharField(max_length=50)),
                ("total", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "project count",
                "verbose_name_plural": "project counts",
                "constraints": [models.UniqueConstraint(fields=("status", "source"), name="project_count_once")],
            },
        ),
        keep_counts("projects_project", "projects_projectcount", ("status", "source")),
    ]
