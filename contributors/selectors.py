"""Reads about contributors."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from contributors.enums import PAID_PLEDGE_STATUSES, ContributorKind, PledgeStatus, Visibility
from contributors.models import (
    Commitment,
    Contributor,
    ContributorCount,
    Earmark,
    Pledge,
    User,
)
from projects.models import Project


def contributor_counts() -> dict[str, int]:
    """How many contributors there are by public appearance (every one, 0 when
    none), read from the counts the database keeps (`ContributorCount`): three rows,
    whatever the number of contributors."""
    found = dict(ContributorCount.objects.values_list("visibility", "total"))
    return {visibility: int(found.get(visibility, 0)) for visibility in Visibility.values}


def public_contributors() -> QuerySet[Contributor]:
    """Contributors who chose to appear; secret ones never leave the platform."""
    return Contributor.objects.exclude(visibility=Visibility.SECRET).order_by("name", "id")


def contributors_of(user: User) -> QuerySet[Contributor]:
    """Whom the user gives as: themself, and the organisations they act for."""
    return (
        Contributor.objects.filter(Q(user=user) | Q(memberships__user=user))
        .distinct()
        .order_by("name", "id")
    )


def organisations_of(user: User) -> QuerySet[Contributor]:
    return Contributor.objects.filter(
        kind=ContributorKind.ORGANISATION, memberships__user=user
    ).order_by("name", "id")


def pledges_of(user: User) -> QuerySet[Pledge]:
    """The pledges the user may see and manage: their own and their organisations'."""
    return (
        Pledge.objects.filter(contributor__in=contributors_of(user).values("pk"))
        .select_related("contributor", "commitment")
        .prefetch_related("earmarks__project")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class EarmarkSplit:
    """What one earmarked project gets of each payment of a pledge."""

    name: str
    share_bp: int
    cents: int


@dataclass(frozen=True)
class PledgeSplit:
    earmarks: list[EarmarkSplit]
    pool_cents: int


def pledge_split(pledge: Pledge) -> PledgeSplit:
    """Each payment of the pledge split as the pledge form's preview shows it:
    each earmark's share of the amount, floored to the cent, the rest to the
    common pool (the allocation rounds net amounts exactly, after the fee)."""
    earmarks = [
        EarmarkSplit(
            name=earmark.project.name,
            share_bp=earmark.share_bp,
            cents=pledge.amount_cents * earmark.share_bp // 10_000,
        )
        for earmark in pledge.earmarks.all()
    ]
    return PledgeSplit(
        earmarks=earmarks, pool_cents=pledge.amount_cents - sum(e.cents for e in earmarks)
    )


def commitments_of(user: User) -> QuerySet[Commitment]:
    """The user's organisations' 2 % commitments, each with what its pledges paid."""
    return (
        Commitment.objects.filter(contributor__in=contributors_of(user).values("pk"))
        .select_related("contributor")
        .annotate(
            paid_cents=Coalesce(Sum("pledges__receipts__gross_cents"), 0),
            # The latest pledge made for it and not cancelled, if any.
            live_pledge_id=Subquery(
                Pledge.objects.filter(commitment=OuterRef("pk"))
                .exclude(status=PledgeStatus.CANCELLED)
                .order_by("-pk")
                .values("pk")[:1]
            ),
        )
        .order_by("-year", "project_name", "id")
    )


def project_public_contributors(*, project: Project) -> QuerySet[Contributor]:
    """Contributors who earmarked part of a paid pledge to the project and chose to
    appear by name (anonymous and secret ones never appear here, nor people who
    have not chosen a name yet); the page shows them a page at a time."""
    # The project's earmarks first (its index), then their pledges and contributors
    # by primary key: no DISTINCT over the joined rows, no scan of every pledge.
    earmarking = Earmark.objects.filter(
        project=project, pledge__status__in=PAID_PLEDGE_STATUSES
    ).values("pledge__contributor_id")
    return (
        Contributor.objects.filter(visibility=Visibility.NAMED, pk__in=earmarking)
        .exclude(name="")
        .order_by("name", "id")
    )
