"""allocation API: views."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny

from allocation.api.serializers import AllocationRunSerializer
from allocation.models import AllocationRun
from allocation.selectors import computed_runs
from librery.api_schema import errors


@extend_schema(responses={200: AllocationRunSerializer(many=True), **errors(404)})
class AllocationRunListAPIView(generics.ListAPIView[AllocationRun]):
    """Every computed monthly run, newest first, with its open data and sha256."""

    serializer_class = AllocationRunSerializer
    permission_classes = [AllowAny]

    def get_queryset(self) -> QuerySet[AllocationRun]:
        return computed_runs()
