"""Reads of the disbursement: runs and their approvals, batches and payouts,
and a project's payouts and balance waiting for the next batch."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from allocation.enums import PayoutStatus, RunStatus
from allocation.models import AllocationRun, Approval, Payout
from funds.selectors import project_totals
from projects.models import Project


def disbursement_runs() -> QuerySet[AllocationRun]:
    """Computed runs, latest first, with their live approvals counted and their batch."""
    return (
        AllocationRun.objects.filter(status=RunStatus.COMPUTED)
        .select_related("batch")
        .annotate(live_approvals=Count("approvals", filter=Q(approvals__voided_at__isnull=True)))
        .order_by("-period_start_at")
    )


def approval_history(*, run: AllocationRun) -> QuerySet[Approval]:
    return Approval.objects.filter(run=run).select_related("administrator").order_by("approved_at")


def batch_payouts(*, run: AllocationRun) -> QuerySet[Payout]:
    return (
        Payout.objects.filter(batch__run=run)
        .select_related("project")
        .order_by("project__name", "pk")
    )


def project_payouts(*, project: Project) -> QuerySet[Payout]:
    """A project's payouts, latest first (with their month)."""
    return (
        Payout.objects.filter(project=project)
        .select_related("batch__run")
        .order_by("-batch__created_at", "-pk")
    )


def project_waiting_cents(*, project: Project) -> int:
    """What the fund holds for `project`, waiting for the next batch (from the
    project's monthly totals the ledger keeps)."""
    return project_totals(project=project).balance_cents


def payouts_by_project(*, project_ids: list[int]) -> dict[int, list[Payout]]:
    """The payouts of each of `project_ids`, latest first, in one query."""
    found: dict[int, list[Payout]] = {pk: [] for pk in project_ids}
    for payout in (
        Payout.objects.filter(project_id__in=project_ids)
        .select_related("batch__run")
        .order_by("-batch__created_at", "-pk")
    ):
        found[payout.project_id].append(payout)
    return found


def payout_counts(*, run: AllocationRun) -> dict[str, Any]:
    """How many payouts of `run`'s batch are in each status."""
    counts = dict.fromkeys(PayoutStatus.values, 0)
    for status, count in (
        Payout.objects.filter(batch__run=run)
        .values("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
        .order_by()
    ):
        counts[status] = count
    return counts
