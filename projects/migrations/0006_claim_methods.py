# Claims proven in every way (issue 14, item 10): a status and how the claim was
# proven, and what an administrator's review needs (evidence, reviewer, reason).
from __future__ import annotations

from typing import Any

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import librery.validators


def mark_verified(apps: Any, schema_editor: Any) -> None:
    """Claims verified before this migration were proven by the manifest."""
    claims = apps.get_model("projects", "ProjectClaim")
    claims.objects.filter(verified_at__isnull=False).update(status="verified", method="manifest")


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0005_free_text_limits_and_visible_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="projectclaim",
            name="evidence",
            field=models.TextField(
                blank=True,
                validators=[
                    django.core.validators.MaxLengthValidator(4000),
                    librery.validators.InvisibleControlsValidator(),
                ],
                verbose_name="evidence",
            ),
        ),
        migrations.AddField(
            model_name="projectclaim",
            name="evidence_links",
            field=models.JSONField(blank=True, default=list, verbose_name="evidence links"),
        ),
        migrations.AddField(
            model_name="projectclaim",
            name="method",
            field=models.CharField(
                blank=True,
                choices=[
                    ("manifest", "Token in the funding.json manifest"),
                    ("well_known", "Token at the project's website or repository"),
                    ("review", "Review by an administrator"),
                ],
                max_length=20,
                verbose_name="proven by",
            ),
        ),
        migrations.AddField(
            model_name="projectclaim",
            name="review_reason",
            field=models.TextField(
                blank=True,
                validators=[django.core.validators.MaxLengthValidator(2000)],
                verbose_name="reason of the review",
            ),
        ),
        migrations.AddField(
            model_name="projectclaim",
            name="review_requested_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="review asked at"),
        ),
        migrations.AddField(
            model_name="projectclaim",
            name="reviewed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="reviewed at"),
        ),
        migrations.AddField(
            model_name="projectclaim",
            name="reviewed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="reviewed by",
            ),
        ),
        migrations.AddField(
            model_name="projectclaim",
            name="status",
            field=models.CharField(
                choices=[
                    ("open", "Awaiting proof"),
                    ("review", "Awaiting an administrator's review"),
                    ("verified", "Verified"),
                    ("rejected", "Rejected"),
                ],
                default="open",
                max_length=20,
                verbose_name="status",
            ),
        ),
        migrations.AddField(
            model_name="projectclaim",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="updated at"),
        ),
        migrations.RunPython(mark_verified, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="projectclaim",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["open", "review", "verified", "rejected"])),
                name="project_claim_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="projectclaim",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "verified"), _negated=True),
                    ("verified_at__isnull", False),
                    _connector="OR",
                ),
                name="project_claim_verified_has_date",
            ),
        ),
    ]
