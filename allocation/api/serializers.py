"""allocation API: serializers."""

from __future__ import annotations

from rest_framework import serializers

from allocation.models import AllocationRun, PayoutBatch
from librery.reversing import row_reverse


class AllocationRunSerializer(serializers.ModelSerializer[AllocationRun]):
    """A computed run: its month, totals, and where its open data is."""

    document_url = serializers.SerializerMethodField()
    csv_url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()

    class Meta:
        model = AllocationRun
        fields = [
            "period",
            "period_start_at",
            "period_end_at",
            "status",
            "receipts_count",
            "net_cents",
            "fee_cents",
            "earmarked_cents",
            "pool_in_cents",
            "pool_carried_in_cents",
            "pool_shared_cents",
            "pool_carried_out_cents",
            "round_decision_number",
            "document_sha256",
            "document_url",
            "csv_url",
            "page_url",
        ]
        read_only_fields = fields

    def _absolute(self, name: str, run: AllocationRun) -> str:
        path = row_reverse(name, run.period)
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_document_url(self, run: AllocationRun) -> str:
        return self._absolute("allocation:run_json", run)

    def get_csv_url(self, run: AllocationRun) -> str:
        return self._absolute("allocation:run_csv", run)

    def get_page_url(self, run: AllocationRun) -> str:
        return self._absolute("allocation:run", run)


class PayoutBatchSerializer(serializers.ModelSerializer[PayoutBatch]):
    """A run's payout batch: the approved report's hash and the total paid out."""

    period = serializers.CharField(source="run.period", read_only=True)
    payouts = serializers.SerializerMethodField()

    class Meta:
        model = PayoutBatch
        fields = [
            "id",
            "period",
            "content_sha256",
            "total_cents",
            "currency",
            "created_at",
            "payouts",
        ]
        read_only_fields = fields

    def get_payouts(self, batch: PayoutBatch) -> int:
        return batch.payouts.count()
