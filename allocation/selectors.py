"""Reads of the allocation: the transparency figures and the conservation rule."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Lower
from django.shortcuts import get_object_or_404

from allocation.enums import DestinationStage, RunStatus
from allocation.models import AllocationRun
from contributors.enums import Visibility
from contributors.models import User
from contributors.selectors import contributor_counts
from funds.enums import AccountKind, JournalSource
from funds.models import JournalLeg, Receipt
from librery.pagecache import public_version
from projects.enums import ProjectStatus
from projects.models import Project
from projects.selectors import project_counts


def approvers() -> QuerySet[User]:
    """Those who may approve a disbursement report and pay by hand: active
    administrators with two-factor authentication (TOTP) set up."""
    totp = Authenticator.Type.TOTP
    return User.objects.filter(is_active=True, is_staff=True, authenticator__type=totp).distinct()


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


def computed_run(*, period: str, light: bool = False) -> AllocationRun:
    """A computed run by its month, or 404; `light`: without the columns that grow
    with the projects and receipts (`RUN_HEAVY_COLUMNS`), for a page that shows
    none of them."""
    runs = computed_runs().defer(*RUN_HEAVY_COLUMNS) if light else computed_runs()
    return get_object_or_404(runs, period=period)


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


RANKING_SECONDS = 24 * 3600  # a run's ranking is kept this long under one version


class RunProjects:
    """What each project got from a run, through earmarks and from the pool,
    largest first, then by name: a sequence for a paginator (`count()` and slices
    of `ProjectAllocation`). A computed run never changes: its ranking (each
    project's id and amounts, in order) is summed and sorted once and kept in the
    cache under the version of the public data (a project renamed moves it on),
    so that a page reads its own projects' names, not the run's hundreds of rows."""

    def __init__(self, run: AllocationRun) -> None:
        self._run = run
        self._ranking: list[tuple[int, int, int]] | None = None

    def _ranked(self) -> list[tuple[int, int, int]]:
        if self._ranking is None:
            run = self._run
            key = f"allocation:run-projects:{run.pk}:{run.document_sha256}:{public_version()}"
            ranking = cache.get(key)
            if ranking is None:
                ranking = [
                    (row["project_id"], int(row["earmarked"]), int(row["pool"]))
                    for row in self._run.destinations.filter(project__isnull=False)
                    .values("project_id")
                    .annotate(
                        earmarked=Coalesce(
                            Sum("cents", filter=Q(stage=DestinationStage.RECEIPTS)), 0
                        ),
                        pool=Coalesce(Sum("cents", filter=Q(stage=DestinationStage.POOL)), 0),
                        total=Sum("cents"),
                    )
                    .order_by("-total", Lower("project__name"), "project_id")
                ]
                cache.set(key, ranking, timeout=RANKING_SECONDS)
            self._ranking = ranking
        return self._ranking

    def count(self) -> int:
        return len(self._ranked())

    def __getitem__(self, index: slice) -> list[ProjectAllocation]:
        rows = self._ranked()[index]
        names = {
            pk: (name, slug)
            for pk, name, slug in Project.objects.filter(pk__in=[row[0] for row in rows])
            .order_by()
            .values_list("pk", "name", "slug")
        }
        return [
            ProjectAllocation(
                project_id=pk,
                name=names[pk][0],
                slug=names[pk][1],
                earmarked_cents=earmarked,
                pool_cents=pool,
            )
            for pk, earmarked, pool in rows
        ]

    def __iter__(self) -> Iterator[ProjectAllocation]:
        return iter(self[0 : self.count()])


def run_projects(*, run: AllocationRun) -> RunProjects:
    """What each project got from `run`, largest first (see `RunProjects`)."""
    return RunProjects(run)
