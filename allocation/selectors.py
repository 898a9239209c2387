"""Reads of the allocation: the transparency figures and the conservation rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from allocation.enums import DestinationStage, RunStatus
from allocation.models import AllocationRun
from contributors.enums import Visibility
from contributors.selectors import contributor_counts
from funds.enums import AccountKind, JournalSource
from funds.models import JournalLeg, Receipt
from projects.enums import ProjectStatus
from projects.selectors import project_counts


def transparency_figures() -> dict[str, int]:
    """The catalogue's and the contributors' counts (kept by the database: a few
    rows read, whatever their numbers)."""
    projects = project_counts()
    contributors = contributor_counts()
    return {
        "projects_total": projects["total"],
        "projects_admitted": projects[ProjectStatus.ADMITTED],
        "projects_proposed": projects[ProjectStatus.PROPOSED],
        "contributors_total": sum(contributors.values()),
        "contributors_public": sum(
            total for visibility, total in contributors.items() if visibility != Visibility.SECRET
        ),
    }


def conservation_problem(*, by_runs: bool = False) -> str | None:
    """allocation.md's conservation: the net of every allocated receipt equals
    the fee account, the pool, the projects' balances and the payouts made, as
    the allocation and payout journals moved them (adjustments booked by hand
    are outside the rule). None when it holds, else what differs.

    `by_runs` takes the allocated net from the computed runs' totals (each
    summed from its receipts when it ran) instead of summing every receipt
    ever allocated: what a run checks, in time independent of history."""
    if by_runs:
        allocated = AllocationRun.objects.filter(status=RunStatus.COMPUTED).aggregate(
            net=Coalesce(Sum("net_cents"), 0)
        )["net"]
    else:
        allocated = Receipt.objects.filter(allocation__isnull=False).aggregate(
            net=Coalesce(Sum("net_cents"), 0)
        )["net"]
    # Only allocation and payout journals move money into or out of these
    # accounts (receipts book to unallocated, adjustments are outside the
    # rule): found through the journals' (source, external id) index, not by
    # reading every leg of the ledger.
    legs = JournalLeg.objects.filter(
        journal__source__in=[JournalSource.ALLOCATION, JournalSource.PAYOUT]
    )
    held = -int(
        legs.filter(
            account__kind__in=[AccountKind.OPERATING, AccountKind.POOL, AccountKind.PROJECT]
        ).aggregate(total=Coalesce(Sum("amount_cents"), 0))["total"]
    )
    paid = int(
        legs.filter(
            journal__source=JournalSource.PAYOUT, account__kind=AccountKind.PROJECT
        ).aggregate(total=Coalesce(Sum("amount_cents"), 0))["total"]
    )
    if int(allocated) != held + paid:
        return (
            f"allocated receipts net {allocated} cents but the fee, pool and project "
            f"balances hold {held} and payouts made {paid}"
        )
    return None


# A run's columns that grow with the fund (its round's fractions and eligible
# projects, one per project, and a small run's document): lists leave them out.
RUN_HEAVY_COLUMNS = ("round_fractions", "eligible_project_ids", "document")


def computed_runs() -> QuerySet[AllocationRun]:
    return AllocationRun.objects.filter(status=RunStatus.COMPUTED).order_by("-period_start_at")


def computed_run(*, period: str) -> AllocationRun:
    """A computed run by its month, or 404."""
    return get_object_or_404(computed_runs(), period=period)


@dataclass(frozen=True)
class ProjectAllocation:
    project_id: int
    name: str
    slug: str
    earmarked_cents: int
    pool_cents: int

    @property
    def total_cents(self) -> int:
        return self.earmarked_cents + self.pool_cents


def run_projects(*, run: AllocationRun) -> list[ProjectAllocation]:
    """What each project got from `run`, through earmarks and from the pool, by
    name (one query)."""
    rows: dict[int, dict[str, Any]] = {}
    for stage, project_id, name, slug, cents in (
        run.destinations.filter(project__isnull=False)
        .order_by()
        .values_list("stage", "project_id", "project__name", "project__slug", "cents")
    ):
        row = rows.setdefault(project_id, {"name": name, "slug": slug, "receipts": 0, "pool": 0})
        row[stage] += cents
    return sorted(
        (
            ProjectAllocation(
                project_id=pk,
                name=row["name"],
                slug=row["slug"],
                earmarked_cents=row[DestinationStage.RECEIPTS],
                pool_cents=row[DestinationStage.POOL],
            )
            for pk, row in rows.items()
        ),
        key=lambda item: (-item.total_cents, item.name.lower(), item.project_id),
    )
