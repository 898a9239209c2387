"""The sums a run needs from its receipts, taken and summed in the database.

A run takes the receipts due (not taken by an earlier run, received before
its period's end) with one INSERT ... SELECT into `RunReceipt`, and needs:
their count, gross, processor fees and net and, per earmarked project, the
sum of net x share_bp over their earmark lines.

On PostgreSQL that is one statement: the receipts due are read once into a
materialised WITH query, which the INSERT (a data-modifying WITH query) and
the sums both read, so both see exactly the same receipts. Elsewhere (SQLite)
the receipts are taken first, then summed with the ORM. Python only ever
holds one row per project."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import Coalesce

from allocation.models import AllocationRun, RunReceipt
from funds.models import Receipt, ReceiptEarmark


@dataclass(frozen=True)
class ReceiptSums:
    count: int
    gross_cents: int
    processor_fee_cents: int
    net_cents: int
    weighted: dict[int, int]  # earmarked project id -> sum of net x share_bp


def receipt_sums(receipts: QuerySet[Receipt]) -> ReceiptSums:
    """The sums over `receipts`, with the ORM (any vendor)."""
    totals = receipts.order_by().aggregate(
        count=Count("pk"),
        gross=Coalesce(Sum("gross_cents"), 0),
        fee=Coalesce(Sum("processor_fee_cents"), 0),
        net=Coalesce(Sum("net_cents"), 0),
    )
    # The receipts joined once to their earmark lines; receipts without a
    # line make a group of no project, which the run leaves to the pool.
    per_project = (
        receipts.order_by()
        .values(earmarked_project=F("earmark_lines__project_id"))
        .annotate(weighted=Sum(F("net_cents") * F("earmark_lines__share_bp")))
        .values_list("earmarked_project", "weighted")
    )
    return ReceiptSums(
        count=int(totals["count"]),
        gross_cents=int(totals["gross"]),
        processor_fee_cents=int(totals["fee"]),
        net_cents=int(totals["net"]),
        weighted={int(p): int(w) for p, w in per_project if p is not None},
    )


_TAKEN = RunReceipt._meta.db_table  # noqa: SLF001 -- Django's documented Options API
_RECEIPTS = Receipt._meta.db_table  # noqa: SLF001 -- likewise
_LINES = ReceiptEarmark._meta.db_table  # noqa: SLF001 -- likewise

_DUE = (
    f"SELECT r.id, r.gross_cents, r.processor_fee_cents, r.net_cents FROM {_RECEIPTS} r "  # noqa: S608 -- our own table names
    "WHERE r.received_at < %(end)s "
    f"AND NOT EXISTS (SELECT 1 FROM {_TAKEN} t WHERE t.receipt_id = r.id)"
)

# One statement: take (INSERT) and sum the receipts due, read once. The due
# receipts are materialised (one scan of the receipts and one anti-join with
# the receipts taken before); the INSERT and both sums read that. The INSERT
# returns nothing: it either writes every due row or fails (the receipt is the
# key, and no trigger skips a row), so the rows taken are the rows counted. The
# row whose project is NULL carries the count and totals, each other row one
# project's sum.
_TAKE_AND_SUM = (
    f"WITH due AS MATERIALIZED ({_DUE}), "  # noqa: S608 -- our own table names
    f"inserted AS (INSERT INTO {_TAKEN} (run_id, receipt_id) SELECT %(run)s, due.id FROM due) "
    "SELECT NULL::bigint, count(*), "
    "coalesce(sum(gross_cents), 0), coalesce(sum(processor_fee_cents), 0), "
    "coalesce(sum(net_cents), 0) FROM due "
    "UNION ALL "
    "SELECT e.project_id, sum(d.net_cents * e.share_bp), 0, 0, 0 "
    f"FROM due d JOIN {_LINES} e ON e.receipt_id = d.id GROUP BY e.project_id"
)

_TAKE = f"INSERT INTO {_TAKEN} (run_id, receipt_id) SELECT %(run)s, due.id FROM ({_DUE}) due"  # noqa: S608


Params = dict[str, Any]


def _take_and_sum_postgresql(params: Params) -> tuple[int, ReceiptSums]:  # pragma: postgresql only
    with connection.cursor() as cursor:
        cursor.execute(_TAKE_AND_SUM, params)
        rows = cursor.fetchall()
    ((_none, count, gross, fee, net),) = (r for r in rows if r[0] is None)
    return int(count), ReceiptSums(
        count=int(count),
        gross_cents=int(gross),
        processor_fee_cents=int(fee),
        net_cents=int(net),
        weighted={int(r[0]): int(r[1]) for r in rows if r[0] is not None},
    )


def take_receipts(run: AllocationRun) -> tuple[int, ReceiptSums]:
    """Record that `run` takes every receipt due; return how many rows went
    in and the sums over the receipts taken."""
    params: Params = {"run": run.pk, "end": run.period_end_at}
    if connection.vendor == "postgresql":  # pragma: no branch -- one way per vendor
        return _take_and_sum_postgresql(params)  # pragma: postgresql only
    with connection.cursor() as cursor:  # pragma: sqlite only
        cursor.execute(_TAKE, params)
        inserted = int(cursor.rowcount)
    sums = receipt_sums(Receipt.objects.filter(allocation__run=run))  # pragma: sqlite only
    return inserted, sums  # pragma: sqlite only
