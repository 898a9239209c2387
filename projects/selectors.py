"""Reads of the catalogue."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email.utils import parseaddr
from typing import Any, overload

from django.conf import settings
from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import SearchQuery
from django.db import connection, models
from django.db.models import Exists, F, OuterRef, Prefetch, Q, Value
from django.db.models.functions import Collate, Lower, Upper
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from librery.models import LogEntry
from projects.enums import SILL_SOURCE, PayoutAccountStatus, ProjectStatus
from projects.licences import spdx_normalise
from projects.models import (
    Maintainership,
    PayoutAccount,
    Project,
    ProjectCount,
    ProjectQuerySet,
    ProjectUsage,
)


def project_counts() -> dict[str, int]:
    """How many projects there are: `total`, one entry per status and `from_sill`,
    read from the counts the database keeps (`ProjectCount`), a few rows whatever
    the number of projects."""
    counts = {"total": 0, "from_sill": 0, **dict.fromkeys(ProjectStatus.values, 0)}
    for status, source, total in ProjectCount.objects.values_list("status", "source", "total"):
        counts["total"] += total
        counts[status] = counts.get(status, 0) + total
        if source == SILL_SOURCE:
            counts["from_sill"] += total
    return counts


def home_figures() -> dict[str, object]:
    """What the home page shows: counts by status and a few admitted projects, the
    first ones in the catalogue's order (read from its index: a few rows)."""
    featured = list(Project.objects.fundable().order_by(_by_name(), "name", "id")[:6])
    return {"project_counts": project_counts(), "featured_projects": featured}


class ProjectSort(models.TextChoices):
    NAME = "name", _("Name")
    NEWEST = "newest", _("Newest")
    MOST_FUNDED = "funded", _("Most funded")


DECISION_ACTIONS = (
    "projects.project.admitted",
    "projects.project.suspended",
    "projects.project.archived",
)


# The JSON list columns the catalogue filters on (never a name from the request).
_JSON_LIST_COLUMNS = {
    "tags": '"projects_project"."tags"',
    "licences": '"projects_project"."licences"',
}


def _json_list_contains(projects: ProjectQuerySet, field: str, value: str) -> ProjectQuerySet:
    """Projects whose JSON list `field` holds an entry starting with `value`, in any
    case ("gpl" finds "GPL-3.0-or-later"), or a word of an expression starting with it
    ("apache" finds "MIT OR Apache-2.0"). PostgreSQL looks in the same query; the
    embedded SQLite default filters the ids in Python."""
    wanted = value.casefold()
    if connection.vendor == "postgresql":  # pragma: postgresql only
        pattern = re.sub(r"([\\%_])", r"\\\1", wanted) + "%"
        column = _JSON_LIST_COLUMNS[field]
        return projects.extra(  # type: ignore[return-value]  # noqa: S610 -- a fixed fragment; the value is a parameter
            where=[
                f"EXISTS (SELECT 1 FROM jsonb_array_elements_text({column}) AS entry "  # noqa: S608 -- a column from a fixed map
                "WHERE lower(entry) LIKE %s OR lower(entry) LIKE %s OR lower(entry) LIKE %s)"
            ],
            params=[pattern, "% " + pattern, "%(" + pattern],
        )
    ids = [  # pragma: sqlite only
        pk
        for pk, values in projects.values_list("pk", field)
        if any(_entry_starts_with(str(entry), wanted) for entry in values or [])
    ]
    return projects.filter(pk__in=ids)  # pragma: sqlite only


def _entry_starts_with(entry: str, wanted: str) -> bool:
    words = [entry.casefold(), *re.split(r"[\s(]+", entry.casefold())]
    return any(word.startswith(wanted) for word in words)


def _by_name() -> Any:
    """Names in alphabetical order, whatever their case and accents: "Acceleo"
    before "ARX", "uMap" before "Zimbra", "Écrit" with the Es."""
    if connection.vendor == "postgresql":  # pragma: postgresql only
        return Collate("name", "und-x-icu")
    return Lower("name")  # pragma: sqlite only


@overload
def project_list(
    *,
    query: str = "",
    status: str = "",
    tag: str = "",
    licence: str = "",
    public_bodies: bool = False,
    sort: str = ProjectSort.NAME,
    funded: None = None,
) -> ProjectQuerySet: ...


@overload
def project_list(
    *,
    query: str = "",
    status: str = "",
    tag: str = "",
    licence: str = "",
    public_bodies: bool = False,
    sort: str = ProjectSort.NAME,
    funded: Any,
) -> ProjectQuerySet | MostFunded: ...


def project_list(
    *,
    query: str = "",
    status: str = "",
    tag: str = "",
    licence: str = "",
    public_bodies: bool = False,
    sort: str = ProjectSort.NAME,
    funded: Any = None,
) -> ProjectQuerySet | MostFunded:
    """The public catalogue, searched, filtered and sorted; one query per page
    (and, for a search on PostgreSQL, one to know whether its words match).
    Sorting by funds needs `funded`, the funds side's `project_funded_order()` (this
    app sits below funds and does not read its tables itself), and gives a
    `MostFunded` sequence rather than a queryset."""
    projects = Project.objects.annotate(
        used_by_public_bodies=Exists(
            ProjectUsage.objects.filter(project=OuterRef("pk"), is_public_body=True)
        )
    )
    if status in ProjectStatus.values:
        projects = projects.filter(status=status)
    if tag:
        projects = _json_list_contains(projects, "tags", tag)
    if licence:
        projects = _json_list_contains(projects, "licences", licence)
    if public_bodies:
        projects = projects.filter(used_by_public_bodies=True)
    if query:
        projects = _searched(projects, query)
    if sort == ProjectSort.NEWEST:
        return projects.order_by("-created_at", "-id")
    if sort == ProjectSort.MOST_FUNDED and funded is not None:
        return MostFunded(projects, funded)
    return projects.order_by(_by_name(), "name", "id")


def _searched(projects: ProjectQuerySet, query: str) -> ProjectQuerySet:
    """`projects` that match `query`'s words: in the name, the summaries and,
    on PostgreSQL, the stored full-text vectors in both languages (both read
    from what the services that write projects store: `search_text`,
    `search_vector`, each with its GIN index); elsewhere the descriptions.
    Only when no project matches them, on PostgreSQL, the names close to the
    query despite a typo (word similarity over the name's trigram index):
    evaluated beside the words, that condition cost two thirds of a search's
    time at 3 000 projects, on every search, for the few that need it."""
    if connection.vendor != "postgresql":
        return projects.filter(
            Q(name__icontains=query)
            | Q(summary__icontains=query)
            | Q(summary_en__icontains=query)
            | Q(description__icontains=query)
            | Q(description_en__icontains=query)
        )
    # A part of a word in the name or a summary: one LIKE on the stored text in
    # capitals, which its trigram index answers (three UPPER(...) LIKEs were
    # evaluated on every project: 5 ms of each search at 3 000 projects).
    words = Q(search_text__contains=Upper(Value(query)))
    for config in ("french", "english"):
        words |= Q(search_vector=SearchQuery(query, config=config, search_type="websearch"))
    found = projects.filter(words)
    if found.exists():
        return found
    return projects.filter(TrigramWordSimilar(F("name"), query))


class MostFunded:
    """The catalogue's projects by everything they received, most first, then by
    name: a sequence for a paginator (`count()` and slices), read in two parts so
    that a page reads its own rows, not every project sorted. Those that received
    more than nothing come first, in the order of the funds side's index of
    received cents (`funded.has_received`, `funded.received_of_those`); the others
    (nothing, or less than nothing after refunds) follow in the same order, read
    only by the pages that reach them. Each project carries `received_cents`."""

    def __init__(self, projects: ProjectQuerySet, funded: Any) -> None:
        self._projects = projects
        self._funded = funded
        self._count: int | None = None
        self._first_part: int | None = None  # how many received more than nothing

    def _ordered(self, projects: ProjectQuerySet, received: Any) -> ProjectQuerySet:
        return projects.annotate(received_cents=received).order_by(
            F("received_cents").desc(), _by_name(), "id"
        )

    def count(self) -> int:
        if self._count is None:
            self._count = self._projects.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[Project]:
        return iter(self[0 : self.count()])

    def _first(self) -> ProjectQuerySet:
        return self._ordered(
            self._projects.filter(self._funded.has_received), self._funded.received_of_those
        )

    def _rest(self) -> ProjectQuerySet:
        return self._ordered(
            self._projects.exclude(self._funded.has_received), self._funded.received
        )

    def __getitem__(self, index: slice) -> list[Project]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("MostFunded is read a page (a slice) at a time.")
        start, stop = index.start or 0, index.stop
        if stop is None or start < 0 or stop < start:
            raise ValueError("MostFunded reads bounded slices from the start onwards.")
        rows = list(self._first()[start:stop])
        if len(rows) == stop - start:
            return rows
        if rows or start == 0:
            self._first_part = start + len(rows)  # the first part ends on this page
        elif self._first_part is None:
            self._first_part = self._projects.filter(self._funded.has_received).count()
        if self._count is not None and self._first_part >= self._count:
            return rows  # nobody else
        offset = max(start - self._first_part, 0)
        return rows + list(self._rest()[offset : stop - self._first_part])


def project_detail(*, slug: str) -> Project:
    """A project with what its public page shows, in a constant number of queries."""
    public_maintainers = Prefetch(
        "maintainerships",
        queryset=Maintainership.objects.filter(is_public=True)
        .select_related("user")
        .order_by("role", "user__display_name", "id"),
        to_attr="public_maintainers",
    )
    # `has_maintainer`: else the page offers to claim the project.
    has_maintainer = Exists(Maintainership.objects.filter(project=OuterRef("pk")))
    return get_object_or_404(
        Project.objects.prefetch_related(public_maintainers)  # type: ignore[arg-type]
        .prefetch_related("usages")
        .annotate(has_maintainer=has_maintainer),
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


FUND_PLAN_GUID = "the-librery"
_MAX_CHANNELS = _MAX_PLANS = 10  # the standard's limits


def _unused_guid(wanted: str, taken: set[str]) -> str:
    guid, number = wanted, 2
    while guid in taken:
        guid, number = f"{wanted}-{number}", number + 1
    return guid


def _maintainers_manifest(*, project: Project, manifest: str, page: str) -> dict[str, Any]:
    """The manifest the project's maintainers published, as they published it
    (entity, projects and their guids, licences, channels, plans, history), with
    The Librery added as one more channel and plan; when the manifest already has
    as many channels or plans as the standard allows, nothing is added."""
    data: dict[str, Any] = json.loads(manifest)  # numbers as any JSON reader reads them
    funding = data["funding"]
    channels, plans = funding["channels"], funding["plans"]
    if len(channels) >= _MAX_CHANNELS or len(plans) >= _MAX_PLANS:
        return data
    channel = _unused_guid(FUND_CHANNEL_GUID, {str(c.get("guid")) for c in channels})
    channels.append(
        {
            "guid": channel,
            "type": "payment-provider",
            "address": page,
            "description": (
                f"Pledge to The Librery's collective fund and earmark part of it to {project.name}."
            )[:500],
        }
    )
    plans.append(
        {
            "guid": _unused_guid(FUND_PLAN_GUID, {str(p.get("guid")) for p in plans}),
            "status": "active",
            "name": f"Earmark to {project.name} through The Librery"[:250],
            "description": "Any amount, once or every month, through The Librery.",
            "amount": 0,
            "currency": "EUR",
            "frequency": "monthly",
            "channels": [channel],
        }
    )
    return data


def project_funding_manifest(*, project: Project, site_url: str) -> dict[str, Any]:
    """The funding.json that an admitted project exposes. A project imported from
    its maintainers' manifest exposes that manifest, with The Librery as one more
    channel and plan; any other gets the fund's own (v1.1.0): the fund's channel
    and plans toward the project, from public catalogue facts only."""
    with translation.override(settings.LANGUAGE_CODE):  # stable, unprefixed addresses
        page = site_url.rstrip("/") + reverse("projects:detail", args=[project.slug])
        contribute = site_url.rstrip("/") + reverse("contributors:contribute")
    entity = project.entity
    if entity is not None and entity.manifest:
        return _maintainers_manifest(project=project, manifest=entity.manifest, page=page)
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
