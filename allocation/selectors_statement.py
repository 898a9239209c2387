"""A contributor's yearly statement: their receipts of the year, and where
that money went, summed in the database over all of them (per run and
project, never per receipt), then followed through the pool's rounds exactly
as one receipt's page follows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any

from django.db.models import BigIntegerField, Count, F, QuerySet, Sum
from django.db.models.functions import ExtractYear

from allocation.arithmetic import BP, UNITS_PER_CENT
from allocation.enums import RunStatus
from allocation.models import RunReceipt
from allocation.selectors_receipts import computed_runs_in_order, pool_given, rounded
from contributors.models import Contributor
from funds.models import Receipt, ReceiptEarmark
from funds.selectors import FUND_TIME_ZONE
from projects.models import Project


@dataclass
class StatementProject:
    name: str
    earmarked: Fraction = Fraction(0)
    from_pool: Fraction = Fraction(0)

    @property
    def earmarked_cents(self) -> int:
        return rounded(self.earmarked)

    @property
    def pool_cents(self) -> int:
        return rounded(self.from_pool)

    @property
    def total_cents(self) -> int:
        return rounded(self.earmarked + self.from_pool)


@dataclass
class Statement:
    contributor: Contributor
    year: int
    receipts: list[Receipt]
    net_cents: int = 0
    unallocated_cents: int = 0
    fee: Fraction = Fraction(0)
    pool_kept: Fraction = Fraction(0)
    projects: list[StatementProject] = field(default_factory=list)

    @property
    def fee_cents(self) -> int:
        return rounded(self.fee)

    @property
    def pool_kept_cents(self) -> int:
        return rounded(self.pool_kept)


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return (
        datetime(year, 1, 1, tzinfo=FUND_TIME_ZONE),
        datetime(year + 1, 1, 1, tzinfo=FUND_TIME_ZONE),
    )


def statement_years(*, contributors: QuerySet[Contributor]) -> list[tuple[int, str, int]]:
    """(contributor id, name, year) of each year with receipts, latest first (one query)."""
    return [
        (pk, name, year)
        for pk, name, year, _count in Receipt.objects.filter(contributor__in=contributors)
        .annotate(year=ExtractYear("received_at", tzinfo=FUND_TIME_ZONE))
        .values_list("contributor_id", "contributor__name", "year")
        .annotate(count=Count("pk"))
        .order_by("-year", "contributor__name", "contributor_id")
    ]


def _by_run(receipts: QuerySet[Receipt]) -> dict[int, dict[str, Any]]:
    """Per computed run: the net of `receipts` it took, and sum(net * share) per project."""
    runs: dict[int, dict[str, Any]] = {}
    for run_id, net in (
        RunReceipt.objects.filter(receipt__in=receipts, run__status=RunStatus.COMPUTED)
        .values("run_id")
        .annotate(net=Sum("receipt__net_cents"))
        .values_list("run_id", "net")
        .order_by()
    ):
        runs[run_id] = {"net": int(net), "weighted": {}}
    for run_id, project_id, weighted in (
        ReceiptEarmark.objects.filter(receipt__in=receipts, receipt__allocation__run_id__in=runs)
        .values("receipt__allocation__run_id", "project_id")
        .annotate(
            weighted=Sum(F("receipt__net_cents") * F("share_bp"), output_field=BigIntegerField())
        )
        .values_list("receipt__allocation__run_id", "project_id", "weighted")
        .order_by()
    ):
        runs[run_id]["weighted"][project_id] = int(weighted)
    return runs


def contributor_statement(*, contributor: Contributor, year: int) -> Statement:
    """`contributor`'s receipts received in `year` (Paris) and where they went:
    exact shares summed over them, shown rounded; a constant number of queries."""
    start, end = _year_bounds(year)
    receipts = Receipt.objects.filter(
        contributor=contributor, received_at__gte=start, received_at__lt=end
    )
    statement = Statement(
        contributor=contributor,
        year=year,
        receipts=list(receipts.order_by("received_at", "pk")),
    )
    statement.net_cents = sum(r.net_cents for r in statement.receipts)
    by_run = _by_run(receipts)
    later = computed_runs_in_order()
    runs = {run.pk: run for run in later}
    statement.unallocated_cents = statement.net_cents - sum(v["net"] for v in by_run.values())
    earmarked: dict[int, Fraction] = {}
    from_pool: dict[int, Fraction] = {}
    for run_id, found in by_run.items():
        run = runs[run_id]
        fee = Fraction(found["net"] * run.fee_bp * BP, UNITS_PER_CENT)
        pool = Fraction(found["net"]) - fee
        statement.fee += fee
        for project_id, weighted in found["weighted"].items():
            if project_id in run.eligible_project_ids:
                cents = Fraction(weighted * (BP - run.fee_bp), UNITS_PER_CENT)
                pool -= cents
                earmarked[project_id] = earmarked.get(project_id, Fraction(0)) + cents
        given, left = pool_given(run, pool, runs=later)
        statement.pool_kept += left
        for project_id, _item, cents in given:
            from_pool[project_id] = from_pool.get(project_id, Fraction(0)) + cents
    names = dict(
        Project.objects.filter(pk__in=set(earmarked) | set(from_pool)).values_list("pk", "name")
    )
    shares = {
        pk: StatementProject(
            name=names[pk],
            earmarked=earmarked.get(pk, Fraction(0)),
            from_pool=from_pool.get(pk, Fraction(0)),
        )
        for pk in set(earmarked) | set(from_pool)
    }
    statement.projects = sorted(
        shares.values(), key=lambda s: (-(s.earmarked + s.from_pool), s.name.lower())
    )
    return statement
