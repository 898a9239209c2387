"""A computed run as open data: one canonical JSON document (sorted keys, no
spaces, no floats) holding its inputs and outputs, streamed from the database
so that neither building nor hashing it holds every receipt in memory.

Contributors appear only as a pseudonymous key (an HMAC of their id with the
platform's secret): the same contributor has the same key in every run, and
no name or id, whatever public appearance they chose."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

from django.conf import settings

from allocation.enums import DestinationStage
from allocation.models import AllocationRun
from funds.models import Receipt, ReceiptEarmark

FORMAT = "librery-allocation/1"
_RECEIPTS = "@@receipts@@"
_CHUNK = 2000


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def contributor_key(contributor_id: int) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"allocation-contributor:{contributor_id}".encode(), "sha256"
    )
    return digest.hexdigest()[:20]


def _outputs(run: AllocationRun) -> dict[str, list[dict[str, Any]]]:
    outputs: dict[str, list[dict[str, Any]]] = {stage: [] for stage in DestinationStage.values}
    for row in run.destinations.order_by("stage", "remainder_rank"):
        item: dict[str, Any] = {
            "destination": row.destination,
            "cents": row.cents,
            "remainder_rank": row.remainder_rank,
        }
        if row.stage == DestinationStage.RECEIPTS:
            item["units"] = row.exact
        outputs[row.stage].append(item)
    return outputs


def _receipt_rows(run: AllocationRun) -> Iterator[str]:
    """Each receipt of the run as canonical JSON, by ascending id, with its
    earmark lines merged in from a second ordered stream."""
    receipts = (
        Receipt.objects.filter(allocation__run=run)
        .order_by("pk")
        .values_list("pk", "net_cents", "received_at", "contributor_id", "reverses_id")
        .iterator(chunk_size=_CHUNK)
    )
    lines = (
        ReceiptEarmark.objects.filter(receipt__allocation__run=run)
        .order_by("receipt_id", "project_id")
        .values_list("receipt_id", "project_id", "share_bp")
        .iterator(chunk_size=_CHUNK)
    )
    pending = next(lines, None)
    keys: dict[int, str] = {}  # one HMAC per contributor, not per receipt
    for pk, net, received_at, contributor_id, reverses_id in receipts:
        key = keys.get(contributor_id)
        if key is None:
            key = keys[contributor_id] = contributor_key(contributor_id)
        earmarks: dict[str, int] = {}
        while pending is not None and pending[0] == pk:
            earmarks[str(pending[1])] = pending[2]
            pending = next(lines, None)
        yield _canonical(
            {
                "id": pk,
                "net_cents": net,
                "received_at": received_at.isoformat(),
                "contributor": key,
                "reverses": reverses_id,
                "earmarks": earmarks,
            }
        )


def document_chunks(run: AllocationRun) -> Iterator[str]:
    """The run's document, in pieces whose concatenation is its canonical JSON."""
    head = _canonical(
        {
            "format": FORMAT,
            "period": run.period,
            "period_start_at": run.period_start_at.isoformat(),
            "period_end_at": run.period_end_at.isoformat(),
            "fee_bp": run.fee_bp,
            "earmark_cap_bp": run.earmark_cap_bp,
            "payout_threshold_cents": run.payout_threshold_cents,
            "eligible_projects": list(run.eligible_project_ids),
            "round": None
            if run.round_ballot_id is None
            else {
                "ballot_id": run.round_ballot_id,
                "decision_number": run.round_decision_number,
                "fractions": dict(run.round_fractions),
            },
            "pool_carried_in_cents": run.pool_carried_in_cents,
            "outputs": _outputs(run),
            "receipts": _RECEIPTS,
        }
    )
    before, after = head.split(_canonical(_RECEIPTS))
    yield before + "["
    for index, row in enumerate(_receipt_rows(run)):
        yield ("," if index else "") + row
    yield "]" + after


def document_sha256(run: AllocationRun) -> str:
    digest = hashlib.sha256()
    for chunk in document_chunks(run):
        digest.update(chunk.encode())
    return digest.hexdigest()
