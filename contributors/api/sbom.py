"""contributors API: an SBOM's matches and proposed split (`POST /api/v1/sbom-matches/`).

Nothing is stored: the answer is what the "Earmark from an SBOM" page shows
for the same file (the page keeps the file; the API only reads it)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contributors.enums import SplitMode
from contributors.sbom import MAX_SBOM_BYTES, SbomError, sbom_parse
from contributors.selectors_sbom import ProjectMatch, sbom_match, sbom_propose
from funds.selectors import fund_settings_at
from librery.api_schema import errors


class SbomMatchInputSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(
        help_text="CycloneDX JSON (1.4 to 1.6) or SPDX JSON (2.2, 2.3), at most 5 MB."
    )
    mode = serializers.ChoiceField(choices=SplitMode.choices, default=SplitMode.DIRECT)


class MatchedProjectSerializer(serializers.Serializer[Any]):
    project = serializers.IntegerField(source="project.pk")
    slug = serializers.CharField(source="project.slug")
    name = serializers.CharField(source="project.name")
    status = serializers.CharField(source="project.status")
    direct = serializers.BooleanField()
    components = serializers.SerializerMethodField()

    def get_components(self, match: ProjectMatch) -> list[str]:
        return [c.purl or c.name for c in match.components]


class ProposedEarmarkSerializer(serializers.Serializer[Any]):
    project = serializers.IntegerField(source="project.pk")
    slug = serializers.CharField(source="project.slug")
    share_bp = serializers.IntegerField()


class SbomMatchSerializer(serializers.Serializer[Any]):
    format = serializers.CharField()
    spec_version = serializers.CharField()
    application = serializers.CharField()
    sha256 = serializers.CharField()
    components = serializers.IntegerField()
    mode = serializers.ChoiceField(choices=SplitMode.choices)
    cap_bp = serializers.IntegerField()
    matched = MatchedProjectSerializer(many=True)
    not_admitted = MatchedProjectSerializer(many=True)
    unmatched = serializers.ListField(child=serializers.CharField())
    proposal = ProposedEarmarkSerializer(many=True)


class SbomMatchAPIView(APIView):
    """The catalogue projects an SBOM's components are, and the earmark split
    proposed for them within the cap (the file is read, not stored)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": SbomMatchInputSerializer},
        responses={200: SbomMatchSerializer, **errors(400, 403)},
    )
    def post(self, request: Request) -> Response:
        payload = SbomMatchInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        try:
            parsed = sbom_parse(upload.read(MAX_SBOM_BYTES + 1))
        except SbomError as error:
            return Response({"file": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        matches = sbom_match(parsed.components)
        mode = SplitMode(payload.validated_data["mode"])
        cap = int(fund_settings_at(at=timezone.now())["earmark_cap_bp"])
        answer = {
            "format": parsed.format,
            "spec_version": parsed.spec_version,
            "application": parsed.application,
            "sha256": parsed.sha256,
            "components": len(parsed.components),
            "mode": mode.value,
            "cap_bp": cap,
            "matched": matches.matched,
            "not_admitted": matches.not_admitted,
            "unmatched": [c.purl or c.name for c in matches.unmatched],
            "proposal": sbom_propose(matches.matched, mode=mode, budget_bp=cap),
        }
        return Response(SbomMatchSerializer(answer).data)
