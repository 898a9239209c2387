"""The catalogue's "most funded" order reads the projects that received money
from an index of their totals, a page at a time, instead of sorting every project."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('funds', '0013_project_lifetime_totals'),
        ('projects', '0011_counts'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='projecttotal',
            index=models.Index(fields=['received_cents'], name='project_total_by_received'),
        ),
    ]
