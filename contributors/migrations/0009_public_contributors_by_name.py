"""The transparency page lists the contributors who appear, by name, a page at a
time: an index of them in that order, so page one reads 50 rows, not all of them."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contributors', '0008_monthly_due_index'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='contributor',
            index=models.Index(condition=models.Q(('visibility', 'secret'), _negated=True), fields=['name', 'id'], name='contributor_public_by_name'),
        ),
    ]
