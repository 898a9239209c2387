"""contributors API: views (a contributor's own pledges, read-only)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated

from contributors.api.serializers import PledgeSerializer
from contributors.models import Pledge
from contributors.selectors import pledges_of
from librery.api_schema import errors


@extend_schema(responses={200: PledgeSerializer(many=True), **errors(403, 404)})
class PledgeListAPIView(generics.ListAPIView[Pledge]):
    """The signed-in user's pledges and their organisations' pledges."""

    serializer_class = PledgeSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> Any:
        return pledges_of(self.request.user)  # type: ignore[arg-type]


@extend_schema(responses={200: PledgeSerializer, **errors(403, 404)})
class PledgeDetailAPIView(generics.RetrieveAPIView[Pledge]):
    serializer_class = PledgeSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> Any:
        return pledges_of(self.request.user)  # type: ignore[arg-type]
