from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from funds import selectors as funds_selectors
from librery.api_schema import errors
from librery.pagecache import public_cached
from librery.ratelimits import ActionRateThrottle
from projects import services
from projects.api.serializers import (
    MaintainedProjectSerializer,
    ManifestInputSerializer,
    ManifestProblemsSerializer,
    ManifestResultSerializer,
    ProjectFilterSerializer,
    ProjectSerializer,
)
from projects.fetching import FetchError
from projects.fundingjson import MAX_MANIFEST_BYTES, ManifestError
from projects.models import Maintainership, Project, ProjectQuerySet
from projects.selectors import MostFunded, maintained_projects, project_list
from projects.uploads import MAX_MANIFEST_REQUEST_BYTES, upload_too_large


@method_decorator(public_cached, name="dispatch")
@extend_schema(
    parameters=[ProjectFilterSerializer],
    responses={200: ProjectSerializer(many=True), **errors(404)},
)
class ProjectListAPIView(generics.ListAPIView[Project]):
    """The public catalogue, read-only: full-text search (`q`), filters and sorting."""

    serializer_class = ProjectSerializer
    permission_classes = [AllowAny]

    def get_queryset(self) -> ProjectQuerySet | MostFunded:  # type: ignore[override]
        params = ProjectFilterSerializer(data=self.request.query_params)
        if not params.is_valid():
            return project_list()
        data: dict[str, Any] = dict(params.validated_data)
        return project_list(
            query=str(data.get("q", "")).strip(),
            status=str(data.get("status", "")),
            tag=str(data.get("tag", "")).strip(),
            licence=str(data.get("licence", "")).strip(),
            public_bodies=bool(data.get("public_bodies")),
            sort=str(data.get("sort", "name")),
            funded=funds_selectors.project_funded_order(),
        )


@method_decorator(public_cached, name="dispatch")
@extend_schema(responses={200: ProjectSerializer, **errors(404)})
class ProjectDetailAPIView(generics.RetrieveAPIView[Project]):
    serializer_class = ProjectSerializer
    permission_classes = [AllowAny]
    lookup_field = "slug"

    def get_queryset(self) -> ProjectQuerySet:
        return project_list()


@extend_schema(responses={200: MaintainedProjectSerializer(many=True), **errors(403)})
class MaintainedProjectListAPIView(generics.ListAPIView[Maintainership]):
    """The projects the signed-in user maintains, with their payout account (masked)."""

    serializer_class = MaintainedProjectSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None

    def get_queryset(self) -> Any:
        return maintained_projects(user=self.request.user)


class ManifestImportAPIView(APIView):
    """Register or update projects from a funding.json manifest (its URL, or the file)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    throttle_classes = [ActionRateThrottle]
    rate_limit_action = "manifest"

    @extend_schema(
        request=ManifestInputSerializer,
        responses={
            200: ManifestResultSerializer,
            400: ManifestProblemsSerializer,
            413: ManifestProblemsSerializer,
            **errors(403, 429),
        },
    )
    def post(self, request: Request) -> Response:
        too_large = upload_too_large(request._request, MAX_MANIFEST_REQUEST_BYTES)  # noqa: SLF001 -- before DRF reads the body
        if too_large:
            return Response({"problems": [{"field": "file", "message": too_large}]}, status=413)
        params = ManifestInputSerializer(data=request.data)
        if not params.is_valid():
            # One shape for every refusal of this endpoint (its schema's 400).
            problems = [
                {"field": "" if field == "non_field_errors" else field, "message": str(message)}
                for field, messages in params.errors.items()
                for message in messages
            ]
            return Response({"problems": problems}, status=400)
        url = str(params.validated_data.get("url") or "")
        try:
            raw = (
                services.funding_manifest_fetch(
                    url=url,
                    allow_loopback=bool(getattr(settings, "LIBRERY_FETCH_ALLOW_LOOPBACK", False)),
                )
                if url
                else params.validated_data["file"].read(MAX_MANIFEST_BYTES + 1)
            )
            result = services.funding_manifest_import(raw=raw, actor=request.user, manifest_url=url)
        except FetchError as exc:
            return Response({"problems": [{"field": "url", "message": str(exc)}]}, status=400)
        except ManifestError as exc:
            problems = [{"field": p.field, "message": p.message} for p in exc.problems]
            return Response({"problems": problems}, status=400)
        return Response(
            ManifestResultSerializer(
                {
                    "entity": result.entity.name,
                    "created": [p.slug for p in result.created],
                    "updated": [p.slug for p in result.updated],
                    "unchanged": [p.slug for p in result.unchanged],
                }
            ).data
        )
