"""Reads about SBOMs: who sees them, which catalogue projects their components
are, the earmark split they propose, and the anonymous counts pages show."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Count, QuerySet

from contributors.enums import SplitMode
from contributors.models import Pledge, Sbom, SbomProject, User
from contributors.sbom import SbomComponent
from contributors.selectors import contributors_of
from contributors.services.common import MAX_EARMARKS
from librery.arithmetic import apportion
from projects.enums import IdentifierKind
from projects.identifiers import prefix_keys
from projects.models import Project
from projects.selectors_identifiers import identifier_hits

# In the "direct dependencies first" split, a direct component weighs this many transitive ones.
DIRECT_WEIGHT = 3


def sboms_of(user: User) -> QuerySet[Sbom]:
    """The SBOMs the user may see: their own and their organisations'; all of them
    for an administrator."""
    sboms = Sbom.objects.select_related("contributor").defer("content")
    if user.is_staff:
        return sboms
    return sboms.filter(contributor__in=contributors_of(user).values("pk"))


@dataclass(frozen=True)
class ProjectMatch:
    """A catalogue project and the SBOM's components that are it."""

    project: Project
    components: tuple[SbomComponent, ...]

    @property
    def direct(self) -> bool:
        return any(c.direct for c in self.components)

    @property
    def weight(self) -> int:
        return sum(DIRECT_WEIGHT if c.direct else 1 for c in self.components)


@dataclass(frozen=True)
class SbomMatches:
    matched: list[ProjectMatch]  # projects that can receive earmarks
    not_admitted: list[ProjectMatch]  # in the catalogue, not (or no longer) admitted
    unmatched: list[SbomComponent]


def sbom_match(components: Sequence[SbomComponent]) -> SbomMatches:
    """Each component's catalogue project: by its package URL (exact, then a
    declared prefix), else by its repository; all the keys in one query."""
    purls = {c.purl_key for c in components if c.purl_key}
    prefixes = {p for key in purls for p in prefix_keys(key)}
    repositories = {r for c in components for r in c.repository_keys}
    by_key: dict[tuple[str, str], list[Project]] = {}
    for hit in identifier_hits(purl_keys=purls, prefix_keys=prefixes, repository_keys=repositories):
        by_key.setdefault((hit.kind, hit.value), []).append(hit.project)
    found: dict[int, tuple[Project, list[SbomComponent]]] = {}
    unmatched = []
    for component in components:
        projects = _projects_of(component, by_key)
        if not projects:
            unmatched.append(component)
        for project in projects:
            found.setdefault(project.pk, (project, []))[1].append(component)
    matches = sorted(
        (ProjectMatch(project=p, components=tuple(cs)) for p, cs in found.values()),
        key=lambda m: (m.project.name.lower(), m.project.pk),
    )
    return SbomMatches(
        matched=[m for m in matches if m.project.is_fundable],
        not_admitted=[m for m in matches if not m.project.is_fundable],
        unmatched=unmatched,
    )


def _projects_of(
    component: SbomComponent, by_key: Mapping[tuple[str, str], list[Project]]
) -> list[Project]:
    if component.purl_key:
        exact = by_key.get((IdentifierKind.PURL, component.purl_key), [])
        if exact:
            return exact
        for prefix in reversed(prefix_keys(component.purl_key)):  # the longest first
            covering = by_key.get((IdentifierKind.PURL_PREFIX, prefix), [])
            if covering:
                return covering
    seen: dict[int, Project] = {}
    for repository in component.repository_keys:
        for project in by_key.get((IdentifierKind.REPOSITORY, repository), []):
            seen.setdefault(project.pk, project)
    return list(seen.values())


def sbom_components(sbom: Sbom) -> list[SbomComponent]:
    return [SbomComponent.from_json(c) for c in sbom.components]


@dataclass(frozen=True)
class ProposedEarmark:
    project: Project
    share_bp: int


def sbom_propose(
    matches: Iterable[ProjectMatch], *, mode: SplitMode | str, budget_bp: int
) -> list[ProposedEarmark]:
    """`budget_bp` (the earmark cap) shared across the matched projects: equally,
    by their number of components, or with direct dependencies weighing
    DIRECT_WEIGHT times a transitive one; whole basis points by largest remainder
    (ties by project id). At most MAX_EARMARKS projects (the heaviest); a project
    whose share rounds to nothing is left out."""
    mode = SplitMode(mode)
    weights = {
        m.project.pk: (
            1
            if mode == SplitMode.EQUAL
            else len(m.components)
            if mode == SplitMode.COMPONENTS
            else m.weight
        )
        for m in matches
    }
    projects = {m.project.pk: m.project for m in matches}
    kept = sorted(weights, key=lambda pk: (-weights[pk], projects[pk].name.lower(), pk))
    kept = kept[:MAX_EARMARKS]
    total = sum(weights[pk] for pk in kept)
    if not kept or budget_bp <= 0:
        return []
    exact = {pk: Fraction(budget_bp * weights[pk], total) for pk in kept}
    shares = apportion(budget_bp, exact, tie_key=lambda pk: pk).amounts
    return [
        ProposedEarmark(project=projects[pk], share_bp=shares[pk]) for pk in kept if shares[pk] > 0
    ]


@dataclass(frozen=True)
class EarmarkDifference:
    project: Project
    before_bp: int
    after_bp: int


def earmarks_difference(
    *, pledge: Pledge, proposed: Iterable[ProposedEarmark]
) -> list[EarmarkDifference]:
    """The pledge's earmarks against a proposal: every project either has, the
    unchanged ones included, in the proposal's order then the pledge's."""
    current = {e.project_id: e for e in pledge.earmarks.select_related("project")}
    rows = []
    for earmark in proposed:
        held = current.pop(earmark.project.pk, None)
        rows.append(
            EarmarkDifference(
                project=earmark.project,
                before_bp=held.share_bp if held is not None else 0,
                after_bp=earmark.share_bp,
            )
        )
    rows.extend(
        EarmarkDifference(project=e.project, before_bp=e.share_bp, after_bp=0)
        for e in current.values()
    )
    return rows


def project_sbom_contributors(*, project: Project) -> int:
    """How many contributors have uploaded an SBOM in which the project was found."""
    return (
        SbomProject.objects.filter(project=project).values("sbom__contributor").distinct().count()
    )


def projects_sbom_contributors() -> QuerySet[Project]:
    """Projects found in SBOMs, each with `sbom_contributors` (how many contributors'
    software depends on it), most depended upon first."""
    return (
        Project.objects.filter(sbom_matches__isnull=False)
        .annotate(sbom_contributors=Count("sbom_matches__sbom__contributor", distinct=True))
        .order_by("-sbom_contributors", "name", "id")
    )
