"""funds API: a contributor's receipts and payment requests; administrators'
reconciliation of bank statements."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.services import payouts_match_enqueue
from funds import services
from funds.api.serializers import (
    LineDecisionInputSerializer,
    PaymentRequestSerializer,
    ReceiptSerializer,
    StatementLineSerializer,
    StatementSerializer,
    StatementUploadInputSerializer,
)
from funds.camt import statement_too_large
from funds.models import BankStatement, BankStatementLine, PaymentRequest, Receipt
from funds.permissions import is_fund_administrator
from funds.selectors import (
    payment_requests_of,
    receipts_of,
    statement_lines,
    statement_summaries,
)
from librery.api_schema import errors


class IsFundAdministrator(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_fund_administrator(request.user)


@extend_schema(responses={200: ReceiptSerializer(many=True), **errors(403, 404)})
class ReceiptListAPIView(generics.ListAPIView[Receipt]):
    """The signed-in user's receipts (negative ones reverse a refund or a dispute)."""

    serializer_class = ReceiptSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> Any:
        return receipts_of(self.request.user)


@extend_schema(responses={200: PaymentRequestSerializer(many=True), **errors(403, 404)})
class PaymentRequestListAPIView(generics.ListAPIView[PaymentRequest]):
    """The signed-in user's payment requests for bank transfers."""

    serializer_class = PaymentRequestSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> Any:
        return payment_requests_of(self.request.user)


class StatementListAPIView(APIView):
    """Administrators: the uploaded statements, and uploading a CAMT.053 statement."""

    permission_classes = [IsFundAdministrator]
    parser_classes = [MultiPartParser]

    @extend_schema(responses={200: StatementSerializer(many=True), **errors(403)})
    def get(self, request: Request) -> Response:
        return Response(StatementSerializer(statement_summaries()[:200], many=True).data)

    @extend_schema(
        request=StatementUploadInputSerializer,
        responses={
            201: OpenApiResponse(
                StatementSerializer(many=True),
                "The statement is recorded; a task books its lines (see status, lines_done).",
            ),
            200: OpenApiResponse(
                StatementSerializer(many=True), "This statement was already recorded."
            ),
            **errors(400, 403),
        },
    )
    def post(self, request: Request) -> Response:
        payload = StatementUploadInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        if upload.size > settings.STATEMENT_MAX_BYTES:
            return Response(
                {"file": [statement_too_large()]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            # Recorded now, its lines booked by the funds.import_statement task
            # after the commit (follow `status` and `lines_done`).
            result = services.bank_statement_import(
                content=upload.read(), filename=upload.name or "", actor=request.user, process=False
            )
        except services.StatementError as error:
            return Response({"file": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        ids = [statement.pk for statement in result.statements]
        if result.created:  # the fund's own payouts on it, matched after its lines
            payouts_match_enqueue(statement_ids=ids)
        return Response(
            StatementSerializer(statement_summaries().filter(pk__in=ids), many=True).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


@extend_schema(responses={200: StatementLineSerializer(many=True), **errors(403, 404)})
class StatementLineListAPIView(generics.ListAPIView[BankStatementLine]):
    """Administrators: the lines of one statement with their matching status."""

    serializer_class = StatementLineSerializer
    permission_classes = [IsFundAdministrator]

    def get_queryset(self) -> Any:
        return statement_lines(get_object_or_404(BankStatement, pk=self.kwargs["pk"]))


class StatementLineDecideAPIView(APIView):
    """Administrators: book or ignore a line that was not booked automatically."""

    permission_classes = [IsFundAdministrator]

    @extend_schema(
        request=LineDecisionInputSerializer,
        responses={200: StatementLineSerializer, **errors(400, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        line = get_object_or_404(BankStatementLine, pk=pk)
        payload = LineDecisionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            line = services.statement_line_decide(
                line=line,
                decision=payload.validated_data["decision"],
                payment_request=payload.validated_data.get("payment_request"),
                actor=request.user,
            )
        except (services.StatementError, services.PaymentError) as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(StatementLineSerializer(line).data)
