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
from django.db import connection

from allocation.enums import DestinationStage
from allocation.models import AllocationRun, RunReceipt
from funds.models import Receipt, ReceiptEarmark

FORMAT = "librery-allocation/1"
_RECEIPTS = "@@receipts@@"
_CHUNK = 2000
_BLOCK = 10_000


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


def _around_receipts(run: AllocationRun) -> tuple[str, str]:
    """The document before and after its list of receipts."""
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
    return before, after


def document_chunks(run: AllocationRun) -> Iterator[str]:
    """The run's document, in pieces whose concatenation is its canonical JSON."""
    before, after = _around_receipts(run)
    yield before + "["
    for index, row in enumerate(_receipt_rows(run)):
        yield ("," if index else "") + row
    yield "]" + after


def document_sha256(run: AllocationRun) -> str:
    """The sha256 of the run's document. On PostgreSQL the database writes the
    receipts' lines but their contributor keys (the same bytes as
    `document_chunks`, which serves the download: a test holds them equal)."""
    if connection.vendor == "postgresql":  # pragma: no branch -- one way per vendor
        chunks = _document_chunks_postgresql(run)  # pragma: postgresql only
    else:  # pragma: sqlite only
        chunks = document_chunks(run)
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk.encode())
    return digest.hexdigest()


_TAKEN = RunReceipt._meta.db_table  # noqa: SLF001 -- Django's documented Options API
_RECEIPT_TABLE = Receipt._meta.db_table  # noqa: SLF001 -- likewise
_LINES = ReceiptEarmark._meta.db_table  # noqa: SLF001 -- likewise

# Python's datetime.isoformat() in UTC: microseconds only when not zero.
_ISO = (
    "to_char(r.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
    "CASE WHEN date_part('microseconds', r.received_at)::bigint %% 1000000 = 0 THEN '' "
    "ELSE to_char(r.received_at AT TIME ZONE 'UTC', '.US') END || '+00:00'"
)

# Each receipt's canonical line after its contributor key (keys sorted;
# project ids sorted as strings, like json.dumps(sort_keys=True)), by id: the
# merge joins on the primary keys give that order without sorting.
_LINE_TAILS = (
    f"WITH marks AS (SELECT e.receipt_id, string_agg('\"' || e.project_id || '\":' || e.share_bp, "  # noqa: S608 -- our own table names
    f"',' ORDER BY e.project_id::text COLLATE \"C\") AS marks FROM {_LINES} e "
    f"JOIN {_TAKEN} t ON t.receipt_id = e.receipt_id WHERE t.run_id = %(run)s "
    "GROUP BY e.receipt_id) "
    'SELECT r.contributor_id, \'","earmarks":{\' || '
    "coalesce(m.marks, '') || '},\"id\":' || r.id || ',\"net_cents\":' || r.net_cents || "
    f'\',"received_at":"\' || {_ISO} || \'","reverses":\' || '
    "coalesce(r.reverses_id::text, 'null') || '}' "
    f"FROM {_TAKEN} t JOIN {_RECEIPT_TABLE} r ON r.id = t.receipt_id "
    "LEFT JOIN marks m ON m.receipt_id = r.id WHERE t.run_id = %(run)s ORDER BY r.id"
)


def _document_chunks_postgresql(run: AllocationRun) -> Iterator[str]:  # pragma: postgresql only
    before, after = _around_receipts(run)
    yield before + "["
    keys: dict[int, str] = {}  # one HMAC per contributor, not per receipt
    separator = ""
    with connection.chunked_cursor() as cursor:  # a server-side cursor: memory stays flat
        cursor.execute(_LINE_TAILS, {"run": run.pk})
        while rows := cursor.fetchmany(_BLOCK):
            lines = []
            for contributor_id, tail in rows:
                key = keys.get(contributor_id)
                if key is None:
                    key = keys[contributor_id] = contributor_key(contributor_id)
                lines.append('{"contributor":"' + key + tail)
            yield separator + ",".join(lines)
            separator = ","
    yield "]" + after
