from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from librery.api_schema import OptionalURLField
from projects.enums import ProjectStatus
from projects.models import Maintainership, Project
from projects.selectors import ProjectSort


class ProjectSerializer(serializers.ModelSerializer[Project]):
    used_by_public_bodies = serializers.BooleanField(read_only=True)
    repository_url = OptionalURLField(read_only=True)
    website_url = OptionalURLField(read_only=True)
    logo = serializers.ImageField(read_only=True, allow_null=True)

    class Meta:
        model = Project
        fields = [
            "slug",
            "name",
            "summary",
            "summary_en",
            "description",
            "description_en",
            "repository_url",
            "website_url",
            "licences",
            "tags",
            "logo",
            "status",
            "used_by_public_bodies",
            "source",
            "source_ref",
            "created_at",
        ]
        read_only_fields = fields


class ProjectFilterSerializer(serializers.Serializer[dict[str, object]]):
    """Query parameters of the catalogue; unknown or invalid values are ignored."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
    status = serializers.ChoiceField(choices=ProjectStatus.choices, required=False)
    tag = serializers.CharField(required=False, max_length=100)
    licence = serializers.CharField(required=False, max_length=100)
    public_bodies = serializers.BooleanField(required=False, default=False)
    sort = serializers.ChoiceField(choices=ProjectSort.choices, required=False)


class MaintainedProjectSerializer(serializers.ModelSerializer[Maintainership]):
    slug = serializers.CharField(source="project.slug", read_only=True)
    name = serializers.CharField(source="project.name", read_only=True)
    status = serializers.CharField(source="project.status", read_only=True)
    payout_account_iban = serializers.SerializerMethodField()
    payout_account_status = serializers.SerializerMethodField()

    class Meta:
        model = Maintainership
        fields = [
            "slug",
            "name",
            "status",
            "role",
            "is_public",
            "payout_account_iban",
            "payout_account_status",
        ]
        read_only_fields = fields

    def _account(self, obj: Maintainership) -> object | None:
        return getattr(obj.project, "payout_account", None)

    def get_payout_account_iban(self, obj: Maintainership) -> str | None:
        """The IBAN, masked."""
        account = self._account(obj)
        return None if account is None else account.masked_iban  # type: ignore[attr-defined]

    def get_payout_account_status(self, obj: Maintainership) -> str | None:
        account = self._account(obj)
        return None if account is None else account.status  # type: ignore[attr-defined]


class ManifestInputSerializer(serializers.Serializer[dict[str, object]]):
    url = serializers.URLField(required=False, max_length=500)
    file = serializers.FileField(required=False)

    def validate(self, attrs: dict[str, object]) -> dict[str, object]:
        if bool(attrs.get("url")) == bool(attrs.get("file")):
            raise serializers.ValidationError(_("Give either the manifest's address or its file."))
        return attrs


class ProblemSerializer(serializers.Serializer[object]):
    field = serializers.CharField()
    message = serializers.CharField()


class ManifestProblemsSerializer(serializers.Serializer[object]):
    problems = ProblemSerializer(many=True)


class ManifestResultSerializer(serializers.Serializer[object]):
    entity = serializers.CharField()
    created = serializers.ListField(child=serializers.SlugField())
    updated = serializers.ListField(child=serializers.SlugField())
    unchanged = serializers.ListField(child=serializers.SlugField())
