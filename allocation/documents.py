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
from contributors.models import Contributor
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
    rows = run.destinations.order_by("stage", "remainder_rank").values_list(
        "stage", "destination", "cents", "remainder_rank", "exact"
    )
    for stage, destination, cents, rank, exact in rows:
        item: dict[str, Any] = {"destination": destination, "cents": cents, "remainder_rank": rank}
        if stage == DestinationStage.RECEIPTS:
            item["units"] = exact
        outputs[stage].append(item)
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
    receipts' lines whole and streams them with COPY, hashed as they come (the
    same bytes as `document_chunks`, which serves the download: a test holds
    them equal)."""
    digest = hashlib.sha256()
    if connection.vendor == "postgresql":  # pragma: no branch -- one way per vendor
        for block in _document_blocks_postgresql(run):  # pragma: postgresql only
            digest.update(block)
    else:  # pragma: sqlite only
        for chunk in document_chunks(run):
            digest.update(chunk.encode())
    return digest.hexdigest()


_TAKEN = RunReceipt._meta.db_table  # noqa: SLF001 -- Django's documented Options API
_RECEIPT_TABLE = Receipt._meta.db_table  # noqa: SLF001 -- likewise
_LINES = ReceiptEarmark._meta.db_table  # noqa: SLF001 -- likewise
_CONTRIBUTOR_TABLE = Contributor._meta.db_table  # noqa: SLF001 -- likewise

# Python's datetime.isoformat() in UTC: microseconds only when not zero (one
# to_char, whose only "." is the one before the microseconds).
_ISO = (
    "replace(to_char(r.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), "
    "'.000000', '') || '+00:00'"
)

# Each receipt's canonical line after its contributor key (keys sorted;
# project ids sorted as strings, like json.dumps(sort_keys=True)), by id: the
# receipts taken, their receipts and their earmark lines merge-joined in
# receipt order and grouped by receipt, so each table is read once.
_LINE_TAILS = (
    'SELECT r.contributor_id, \'","earmarks":{\' || coalesce(string_agg('  # noqa: S608 -- ours
    "'\"' || e.project_id || '\":' || e.share_bp, ',' "
    "ORDER BY e.project_id::text COLLATE \"C\"), '') || "
    "'},\"id\":' || r.id || ',\"net_cents\":' || r.net_cents || "
    f'\',"received_at":"\' || {_ISO} || \'","reverses":\' || '
    "coalesce(r.reverses_id::text, 'null') || '}' "
    f"FROM {_TAKEN} t JOIN {_RECEIPT_TABLE} r ON r.id = t.receipt_id "
    f"LEFT JOIN {_LINES} e ON e.receipt_id = r.id WHERE t.run_id = %(run)s "
    "GROUP BY r.id ORDER BY r.id"
)
_BLOCK = 10_000

# Every contributor who ever paid: their keys are computed once a run, before
# the lines come (a number that grows with the fund's contributors, not with
# its receipts), so that each line only looks its key up.
_CONTRIBUTORS = (
    f"SELECT c.id FROM {_CONTRIBUTOR_TABLE} c "  # noqa: S608 -- our own table names
    f"WHERE EXISTS (SELECT 1 FROM {_RECEIPT_TABLE} r WHERE r.contributor_id = c.id)"
)


def _document_blocks_postgresql(run: AllocationRun) -> Iterator[bytes]:  # pragma: postgresql only
    """The run's document as UTF-8 blocks: the database writes each receipt's
    line but its contributor key, read through a server-side cursor (memory
    stays flat) by blocks of lines."""
    before, after = _around_receipts(run)
    yield (before + "[").encode()
    with connection.cursor() as cursor:
        # The planner knows nothing yet of the rows this run's transaction
        # added; without fresh statistics it reads them one by one.
        cursor.execute(f"ANALYZE {_TAKEN} (run_id)")
        cursor.execute(_CONTRIBUTORS)
        keys = {int(pk): '{"contributor":"' + contributor_key(pk) for (pk,) in cursor.fetchall()}
    separator = ""
    with connection.chunked_cursor() as cursor:
        cursor.execute(_LINE_TAILS, {"run": run.pk})
        while rows := cursor.fetchmany(_BLOCK):
            yield (separator + ",".join([keys[c] + tail for c, tail in rows])).encode()
            separator = ","
    yield ("]" + after).encode()


def _document_chunks_postgresql(run: AllocationRun) -> Iterator[str]:  # pragma: postgresql only
    """The same document as `document_chunks`, written by the database."""
    for block in _document_blocks_postgresql(run):
        yield block.decode()
