from __future__ import annotations

from rest_framework import serializers

from projects.models import Project


class ProjectSerializer(serializers.ModelSerializer[Project]):
    class Meta:
        model = Project
        fields = [
            "slug",
            "name",
            "summary",
            "description",
            "repository_url",
            "website_url",
            "licences",
            "tags",
            "status",
            "source",
            "source_ref",
        ]
        read_only_fields = fields
