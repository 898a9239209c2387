"""Reads of the catalogue."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection, models
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from contributors.enums import PledgeStatus, Visibility
from contributors.models import Contributor
from funds import selectors as funds_selectors
from librery.models import LogEntry
from projects.enums import PayoutAccountStatus, ProjectStatus
from projects.licences import spdx_normalise
from projects.models import (
    Maintainership,
    PayoutAccount,
    Project,
    ProjectQuerySet,
    ProjectUsage,
)


def home_figures() -> dict[str, object]:
    """What the home page shows: counts by status and a few admitted projects."""
    counts = Project.objects.aggregate(
        total=Count("id"),
        admitted=Count("id", filter=Q(status=ProjectStatus.ADMITTED)),
        from_sill=Count("id", filter=Q(source="sill-2020")),
    )
    featured = list(Project.objects.fundable().order_by("name")[:6])
    return {"project_counts": counts, "featured_projects": featured}


# Pledges that have been paid at least once (their earmarks have carried money).
PAID_PLEDGE_STATUSES = (PledgeStatus.ACTIVE, PledgeStatus.PAUSED, PledgeStatus.COMPLETED)


class ProjectSort(models.TextChoices):
    NAME = "name", _("Name")
    NEWEST = "newest", _("Newest")
    MOST_FUNDED = "funded", _("Most funded")


DECISION_ACTIONS = (
    "projects.project.admitted",
    "projects.project.suspended",
    "projects.project.archived",
)


def _json_list_contains(projects: ProjectQuerySet, field: str, value: str) -> ProjectQuerySet:
    """Projects whose JSON list `field` holds `value` (PostgreSQL containment; the
    embedded SQLite default has no JSON containment, so it filters the ids in Python)."""
    if connection.vendor == "postgresql":
        return projects.filter(**{f"{field}__contains": [value]})
    ids = [pk for pk, values in projects.values_list("pk", field) if value in (values or [])]
    return projects.filter(pk__in=ids)


def project_list(
    *,
    query: str = "",
    status: str = "",
    tag: str = "",
    licence: str = "",
    public_bodies: bool = False,
    sort: str = ProjectSort.NAME,
) -> ProjectQuerySet:
    """The public catalogue, searched, filtered and sorted; one query per page."""
    projects = Project.objects.annotate(
        used_by_public_bodies=Exists(
            ProjectUsage.objects.filter(project=OuterRef("pk"), is_public_body=True)
        )
    )
    if query:
        matches = (
            Q(name__icontains=query) | Q(summary__icontains=query) | Q(summary_en__icontains=query)
        )
        if connection.vendor == "postgresql":
            vector = (
                SearchVector("name", weight="A", config="french")
                + SearchVector("summary", "description", config="french")
                + SearchVector("summary_en", "description_en", config="english")
            )
            projects = projects.annotate(search=vector)
            matches |= Q(search=SearchQuery(query, config="french", search_type="websearch"))
            matches |= Q(search=SearchQuery(query, config="english", search_type="websearch"))
        else:
            matches |= Q(description__icontains=query) | Q(description_en__icontains=query)
        projects = projects.filter(matches)
    if status in ProjectStatus.values:
        projects = projects.filter(status=status)
    if tag:
        projects = _json_list_contains(projects, "tags", tag)
    if licence:
        projects = _json_list_contains(projects, "licences", licence)
    if public_bodies:
        projects = projects.filter(used_by_public_bodies=True)
    if sort == ProjectSort.NEWEST:
        return projects.order_by("-created_at", "-id")
    if sort == ProjectSort.MOST_FUNDED:
        # Everything each project has received, from the ledger, in the same query.
        return projects.annotate(
            received_cents=funds_selectors.project_received_totals_cents()
        ).order_by(F("received_cents").desc(), "name", "id")
    return projects.order_by("name", "id")


def project_detail(*, slug: str) -> Project:
    """A project with what its public page shows, in a constant number of queries."""
    public_maintainers = Prefetch(
        "maintainerships",
        queryset=Maintainership.objects.filter(is_public=True)
        .select_related("user")
        .order_by("role", "user__display_name", "id"),
        to_attr="public_maintainers",
    )
    return get_object_or_404(
        Project.objects.prefetch_related(public_maintainers).prefetch_related("usages"),  # type: ignore[arg-type]
        slug=slug,
    )


def project_governance_history(*, project: Project) -> list[LogEntry]:
    """The decisions that admitted, suspended or archived the project, newest first."""
    return list(
        LogEntry.objects.filter(
            object_type=Project._meta.label_lower,  # noqa: SLF001 -- Django's public API
            object_id=str(project.pk),
            action__in=DECISION_ACTIONS,
        )
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class MonthlyFunds:
    month: date
    amount_cents: int


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def project_received_by_month(*, project: Project) -> list[MonthlyFunds]:
    """What the project received each calendar month (Europe/Paris), from the ledger
    (one query): every month from the first with money to the last, oldest first,
    a month without money at 0, so that a chart of it has an even time axis."""
    received = dict(funds_selectors.project_received_by_month(project=project))
    if not received:
        return []
    months, month, last = [], min(received), max(received)
    while month <= last:
        months.append(MonthlyFunds(month=month, amount_cents=int(received.get(month, 0))))
        month = _next_month(month)
    return months


@dataclass(frozen=True)
class ChartBar:
    """One month of the funds chart, in the SVG's user units."""

    month: date
    amount_cents: int
    x: int
    y: int
    width: int
    height: int
    label_x: int
    show_year: bool


@dataclass(frozen=True)
class FundsChart:
    """A bar chart of `months` drawn by the template as an SVG (no script, no style
    attribute): geometry only, in whole user units; the figures stay in cents."""

    bars: list[ChartBar]
    first: MonthlyFunds
    last: MonthlyFunds
    largest: MonthlyFunds
    total_cents: int
    width: int
    height: int
    plot_top: int
    baseline: int
    scale_label_y: int
    month_label_y: int
    year_label_y: int
    is_long: bool


CHART_SLOT, CHART_BAR, CHART_MARGIN, CHART_MIN_WIDTH = 40, 28, 8, 240
CHART_TOP, CHART_PLOT_HEIGHT, CHART_LABELS_HEIGHT = 24, 160, 40
# Beyond this many months the chart keeps its size and scrolls sideways.
CHART_MAX_FITTED_MONTHS = 24


def funds_chart(*, months: list[MonthlyFunds]) -> FundsChart | None:
    """The geometry of the chart of `months` (None when there are none). Bars are
    scaled to the largest month; a month with money is at least one unit high."""
    if not months:
        return None
    largest = max(months, key=lambda m: m.amount_cents)
    scale = max(largest.amount_cents, 1)
    baseline = CHART_TOP + CHART_PLOT_HEIGHT
    bars = []
    for index, funds in enumerate(months):
        height = funds.amount_cents * CHART_PLOT_HEIGHT // scale
        if funds.amount_cents > 0:
            height = max(height, 1)
        x = CHART_MARGIN + index * CHART_SLOT + (CHART_SLOT - CHART_BAR) // 2
        bars.append(
            ChartBar(
                month=funds.month,
                amount_cents=funds.amount_cents,
                x=x,
                y=baseline - height,
                width=CHART_BAR,
                height=height,
                label_x=x + CHART_BAR // 2,
                show_year=index == 0 or funds.month.month == 1,
            )
        )
    return FundsChart(
        bars=bars,
        first=months[0],
        last=months[-1],
        largest=largest,
        total_cents=sum(m.amount_cents for m in months),
        width=max(CHART_MIN_WIDTH, 2 * CHART_MARGIN + len(months) * CHART_SLOT),
        height=baseline + CHART_LABELS_HEIGHT,
        plot_top=CHART_TOP,
        baseline=baseline,
        scale_label_y=CHART_TOP - 8,
        month_label_y=baseline + 16,
        year_label_y=baseline + 32,
        is_long=len(months) > CHART_MAX_FITTED_MONTHS,
    )


def project_public_contributors(*, project: Project) -> list[Contributor]:
    """Contributors who earmarked part of a paid pledge to the project and chose to
    appear by name (anonymous and secret ones never appear here)."""
    return list(
        Contributor.objects.filter(
            visibility=Visibility.NAMED,
            pledges__earmarks__project=project,
            pledges__status__in=PAID_PLEDGE_STATUSES,
        )
        .distinct()
        .order_by("name", "id")
    )


def project_balances(*, project_ids: list[int]) -> dict[int, int]:
    """What the fund holds for each project, in cents, from the ledger (0 when none)."""
    ledger = getattr(funds_selectors, "project_balances_cents", None)
    balances: dict[int, int] = ledger() if ledger is not None else {}
    return {pk: int(balances.get(pk, 0)) for pk in project_ids}


def unrecognised_licences(licences: list[str]) -> list[str]:
    """The entries that are not SPDX licence identifiers or expressions."""
    return [entry for entry in licences if spdx_normalise(entry) is None]


def maintained_projects(*, user: Any) -> list[Maintainership]:
    """The user's maintainerships with each project and its payout account (2 queries)."""
    return list(
        Maintainership.objects.filter(user=user)
        .select_related("project", "project__payout_account")
        .order_by("project__name", "project__id")
    )


FUND_CHANNEL_GUID = "the-librery"
_MANIFEST_TAG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_MAX_TAGS, _MAX_LICENCES, _MAX_TAG_LENGTH, _MIN_TAG_LENGTH = 10, 5, 32, 2


def _manifest_tags(tags: list[str]) -> list[str]:
    result: list[str] = []
    for tag in tags:
        candidate = slugify(tag)[:_MAX_TAG_LENGTH].strip("-")
        if (
            len(candidate) >= _MIN_TAG_LENGTH
            and _MANIFEST_TAG.match(candidate)
            and candidate not in result
        ):
            result.append(candidate)
    return result[:_MAX_TAGS] or ["open-source"]


def _manifest_licences(licences: list[str]) -> list[str]:
    result = []
    for entry in licences[:_MAX_LICENCES]:
        spdx = spdx_normalise(entry)
        result.append(f"spdx:{spdx}" if spdx and " " not in spdx else entry[:64])
    return [r for r in result if len(r) >= _MIN_TAG_LENGTH] or ["see the repository"]


def project_funding_manifest(*, project: Project, site_url: str) -> dict[str, Any]:
    """The funding.json (v1.1.0) that an admitted project exposes: the fund's channel
    and plans toward the project. Only public catalogue facts appear in it."""
    with translation.override(settings.LANGUAGE_CODE):  # stable, unprefixed addresses
        page = site_url.rstrip("/") + reverse("projects:detail", args=[project.slug])
        contribute = site_url.rstrip("/") + reverse("contributors:contribute")
    description = project.description_en or project.description or project.localized_summary
    description = (description or f"{project.name}, an open-source commons.")[:2000]
    if len(description.encode()) < 5:  # noqa: PLR2004 -- the standard's minimum
        description = f"{project.name}, an open-source commons."
    guid = slugify(project.slug)[:32].strip("-")
    if len(guid) < 3:  # noqa: PLR2004 -- the standard's minimum
        guid = f"project-{project.pk}"
    channel_text = "Pledge to The Librery's collective fund and earmark part of it to this project."
    return {
        "$schema": "https://fundingjson.org/schema/v1.1.0.json",
        "version": "v1.1.0",
        "entity": {
            "type": "organisation",
            "role": "steward",
            "name": "The Librery",
            "email": parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
            "description": (
                "A collective fund for open-source software: contributors pledge money and "
                "earmark part of it to projects; a paritarian governance body shares out the "
                "common pool by recorded votes."
            ),
            "webpageUrl": {"url": site_url.rstrip("/") + "/"},
        },
        "projects": [
            {
                "guid": guid,
                "name": project.name[:250],
                "description": description,
                "webpageUrl": {"url": page},
                "repositoryUrl": {"url": project.repository_url or page},
                "licenses": _manifest_licences(project.licences),
                "tags": _manifest_tags(project.tags),
            }
        ],
        "funding": {
            "channels": [
                {
                    "guid": FUND_CHANNEL_GUID,
                    "type": "payment-provider",
                    "address": contribute,
                    "description": channel_text,
                }
            ],
            "plans": [
                {
                    "guid": "monthly-earmark",
                    "status": "active",
                    "name": f"Monthly earmark to {project.name}"[:250],
                    "description": "Any amount, every month, through The Librery.",
                    "amount": 0,
                    "currency": "EUR",
                    "frequency": "monthly",
                    "channels": [FUND_CHANNEL_GUID],
                },
                {
                    "guid": "one-time-earmark",
                    "status": "active",
                    "name": f"One-time earmark to {project.name}"[:250],
                    "description": "Any amount, once, through The Librery.",
                    "amount": 0,
                    "currency": "EUR",
                    "frequency": "one-time",
                    "channels": [FUND_CHANNEL_GUID],
                },
            ],
            "history": [],
        },
    }


def maintained_project_ids(*, user: Any) -> set[int]:
    """The ids of the projects `user` maintains (the governance interest register reads
    maintainership from here)."""
    return set(Maintainership.objects.filter(user=user).values_list("project_id", flat=True))


def verified_payout_account(*, project: Project) -> PayoutAccount | None:
    """The account a payout may go to: only one an administrator verified."""
    return PayoutAccount.objects.filter(
        project=project, status=PayoutAccountStatus.VERIFIED
    ).first()
