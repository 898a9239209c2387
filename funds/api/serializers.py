"""funds API: serializers."""

from __future__ import annotations

from rest_framework import serializers

from funds.models import BankStatement, BankStatementLine, PaymentRequest, Receipt


class ReceiptSerializer(serializers.ModelSerializer[Receipt]):
    class Meta:
        model = Receipt
        fields = [
            "id",
            "pledge",
            "contributor",
            "gross_cents",
            "processor_fee_cents",
            "net_cents",
            "currency",
            "received_at",
            "earmarks",
            "reverses",
        ]
        read_only_fields = fields


class PaymentRequestSerializer(serializers.ModelSerializer[PaymentRequest]):
    class Meta:
        model = PaymentRequest
        fields = [
            "id",
            "number",
            "reference",
            "pledge",
            "amount_cents",
            "currency",
            "status",
            "issued_at",
        ]
        read_only_fields = fields


class StatementLineSerializer(serializers.ModelSerializer[BankStatementLine]):
    payment_request_number = serializers.CharField(
        source="payment_request.number", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = BankStatementLine
        fields = [
            "id",
            "entry_reference",
            "amount_cents",
            "currency",
            "is_credit",
            "booking_date",
            "debtor_name",
            "remittance_information",
            "status",
            "payment_request_number",
            "booked_payment",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields


class StatementSerializer(serializers.ModelSerializer[BankStatement]):
    line_count = serializers.IntegerField(read_only=True)
    booked_count = serializers.IntegerField(read_only=True)
    pending_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = BankStatement
        fields = [
            "id",
            "account_iban",
            "statement_id",
            "filename",
            "uploaded_at",
            "status",
            "lines_total",
            "lines_done",
            "line_count",
            "booked_count",
            "pending_count",
        ]
        read_only_fields = fields


class StatementUploadInputSerializer(serializers.Serializer[None]):
    file = serializers.FileField()


class LineDecisionInputSerializer(serializers.Serializer[None]):
    decision = serializers.ChoiceField(choices=["book", "ignore"])
    payment_request = serializers.SlugRelatedField(
        slug_field="number", queryset=PaymentRequest.objects.all(), required=False, allow_null=True
    )
