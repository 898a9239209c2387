"""contributors API: serializers."""

from __future__ import annotations

from rest_framework import serializers

from contributors.models import Earmark, Pledge


class EarmarkSerializer(serializers.ModelSerializer[Earmark]):
    project_slug = serializers.CharField(source="project.slug", read_only=True)

    class Meta:
        model = Earmark
        fields = ["project", "project_slug", "share_bp"]
        read_only_fields = fields


class PledgeSerializer(serializers.ModelSerializer[Pledge]):
    contributor_name = serializers.CharField(source="contributor.name", read_only=True)
    earmarks = EarmarkSerializer(many=True, read_only=True)

    class Meta:
        model = Pledge
        fields = [
            "id",
            "contributor",
            "contributor_name",
            "frequency",
            "amount_cents",
            "currency",
            "payment_method",
            "status",
            "earmarks",
            "commitment",
            "next_charge_date",
            "created_at",
        ]
        read_only_fields = fields
