"""allocation API: views."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.api.serializers import AllocationRunSerializer, PayoutBatchSerializer
from allocation.errors import DisbursementError
from allocation.models import AllocationRun
from allocation.selectors import RUN_HEAVY_COLUMNS, computed_runs
from allocation.services import payout_batch_create
from funds.permissions import is_fund_administrator
from librery.api_schema import errors
from librery.pagecache import public_cached


@method_decorator(public_cached, name="dispatch")
@extend_schema(responses={200: AllocationRunSerializer(many=True), **errors(404)})
class AllocationRunListAPIView(generics.ListAPIView[AllocationRun]):
    """Every computed monthly run, newest first, with its open data and sha256."""

    serializer_class = AllocationRunSerializer
    permission_classes = [AllowAny]

    def get_queryset(self) -> QuerySet[AllocationRun]:
        # Not the columns that grow with the projects: the list does not show them.
        return computed_runs().defer(*RUN_HEAVY_COLUMNS)


class IsAdministrator(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_fund_administrator(request.user)


class PayoutBatchCreateAPIView(APIView):
    """Administrators: the payout batch of a run whose report has its two valid
    approvals (made once; refused, and logged, without them)."""

    permission_classes = [IsAdministrator]

    @extend_schema(request=None, responses={201: PayoutBatchSerializer, **errors(400, 403, 404)})
    def post(self, request: Request, period: str) -> Response:
        run = get_object_or_404(computed_runs(), period=period)
        try:
            batch = payout_batch_create(run=run, actor=request.user, via="api")
        except DisbursementError as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(PayoutBatchSerializer(batch).data, status=status.HTTP_201_CREATED)
