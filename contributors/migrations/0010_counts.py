"""Contributors counted by public appearance in a table kept by row triggers
(`librery.migration_operations.keep_counts`): the transparency page reads three
rows, not 100 000 at a national fund's size."""

from django.db import migrations, models

from librery.migration_operations import keep_counts


class Migration(migrations.Migration):

    dependencies = [
        ("contributors", "0009_public_contributors_by_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContributorCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("visibility", models.CharField(max_length=20, unique=True)),
                ("total", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "contributor count",
                "verbose_name_plural": "contributor counts",
            },
        ),
        keep_counts("contributors_contributor", "contributors_contributorcount", ("visibility",)),
    ]
