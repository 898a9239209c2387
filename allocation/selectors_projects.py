"""What one project received from each monthly allocation (earmarked, from
how many contributors, and from the pool by which round), and the earmarked
money received but not allocated yet, so that it is never invisible."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import BigIntegerField, Count, F, Sum
from django.db.models.functions import Coalesce

from allocation.arithmetic import BP
from allocation.enums import DestinationStage, RunStatus
from allocation.models import AllocationRun, Payout, RunDestination
from funds.models import Journal, Receipt, ReceiptEarmark
from projects.models import Project


@dataclass(frozen=True)
class ProjectMonth:
    run: AllocationRun
    earmarked_cents: int
    contributors: int
    pool_cents: int

    @property
    def total_cents(self) -> int:
        return self.earmarked_cents + self.pool_cents


def project_months(*, project: Project) -> list[ProjectMonth]:
    """Each computed run that gave `project` money, latest first (two queries,
    whatever the number of receipts)."""
    amounts: dict[int, dict[str, int]] = {}
    runs: dict[int, AllocationRun] = {}
    for row in (
        RunDestination.objects.filter(project=project, run__status=RunStatus.COMPUTED)
        .exclude(cents=0)
        .select_related("run", "run__round_ballot")
    ):
        runs[row.run_id] = row.run
        amounts.setdefault(row.run_id, {})[row.stage] = row.cents
    contributors = dict(
        ReceiptEarmark.objects.filter(project=project, receipt__allocation__run_id__in=runs)
        .values("receipt__allocation__run_id")
        .annotate(count=Count("receipt__contributor_id", distinct=True))
        .values_list("receipt__allocation__run_id", "count")
        .order_by()
    )
    return sorted(
        (
            ProjectMonth(
                run=run,
                earmarked_cents=amounts[pk].get(DestinationStage.RECEIPTS, 0),
                contributors=contributors.get(pk, 0),
                pool_cents=amounts[pk].get(DestinationStage.POOL, 0),
            )
            for pk, run in runs.items()
        ),
        key=lambda month: month.run.period_start_at,
        reverse=True,
    )


@dataclass(frozen=True)
class Waiting:
    cents: int
    contributors: int


def project_waiting_allocation(*, project: Project) -> Waiting:
    """Earmarked to `project` in receipts no run has taken yet, in cents before
    the management fee (the run rounds the month's total), in one query."""
    found = ReceiptEarmark.objects.filter(
        project=project, receipt__allocation__isnull=True
    ).aggregate(
        weighted=Coalesce(
            Sum(F("receipt__net_cents") * F("share_bp"), output_field=BigIntegerField()), 0
        ),
        contributors=Count("receipt__contributor_id", distinct=True),
    )
    return Waiting(cents=int(found["weighted"]) // BP, contributors=int(found["contributors"]))


@dataclass(frozen=True)
class RoundReceived:
    """What a released round actually gave each project in the runs that used it."""

    runs: list[AllocationRun]
    projects: list[tuple[str, str, int]]  # (name, slug, cents), largest first

    @property
    def total_cents(self) -> int:
        return sum(cents for _name, _slug, cents in self.projects)


def round_received(*, ballot_id: int) -> RoundReceived:
    """The computed runs that shared the pool by the round `ballot_id`, and the
    cents each project got from them (largest remainder, as the runs booked
    them), in two queries."""
    runs = list(
        AllocationRun.objects.filter(round_ballot_id=ballot_id, status=RunStatus.COMPUTED).order_by(
            "period_start_at"
        )
    )
    rows = (
        RunDestination.objects.filter(
            run__in=runs, stage=DestinationStage.POOL, project__isnull=False
        )
        .values("project__name", "project__slug")
        .annotate(cents=Sum("cents"))
        .order_by("-cents", "project__name")
        .values_list("project__name", "project__slug", "cents")
    )
    return RoundReceived(
        runs=runs,
        projects=[(name, slug, int(cents)) for name, slug, cents in rows] if runs else [],
    )


def money_stamp() -> str:
    """Changes whenever what a project page's money sections show may change (one
    query): a ledger journal posted (the ledger is append-only, and the monthly
    totals move in a journal's own transaction), a receipt booked, a run computed,
    a payout created or moved. A cache key carrying it is never stale for those."""
    runs, payouts = AllocationRun._meta.db_table, Payout._meta.db_table  # noqa: SLF001 -- Django's public API
    journals, receipts = Journal._meta.db_table, Receipt._meta.db_table  # noqa: SLF001
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {journals}), (SELECT MAX(id) FROM {receipts}), "  # noqa: S608 -- table names from the models
            f"(SELECT COUNT(*) FROM {runs} WHERE status = %s), "
            f"(SELECT MAX(computed_at) FROM {runs} WHERE status = %s), "
            f"(SELECT COUNT(*) FROM {payouts}), (SELECT MAX(updated_at) FROM {payouts})",
            [RunStatus.COMPUTED, RunStatus.COMPUTED],
        )
        row = cursor.fetchone()
    return ":".join(str(value) for value in row)
