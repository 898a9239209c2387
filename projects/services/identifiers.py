"""The package URLs and repositories by which SBOMs name a project: declared by
its maintainers, and its repository address kept as one (funding.json's
`repositoryUrl`, the edit form)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from librery.services import log_action
from projects.enums import IdentifierKind, IdentifierSource
from projects.errors import ProjectsError
from projects.identifiers import IdentifierError, purl_key, purl_prefix_key, repository_key
from projects.models import Project, ProjectIdentifier
from projects.permissions import is_maintainer

MAX_DECLARED_IDENTIFIERS = 50


class IdentifierInputError(ProjectsError):
    """A declared identifier is not a package URL, a purl prefix or a repository."""


def identifier_parse(text: str) -> tuple[str, str]:
    """(kind, key) of one line a maintainer wrote: ``pkg:pypi/django``,
    ``pkg:npm/@angular/*`` or ``https://github.com/django/django``."""
    text = text.strip()
    if text.lower().startswith("pkg:"):
        try:
            if text.endswith(("/*", "/")):
                return IdentifierKind.PURL_PREFIX, purl_prefix_key(text)
            return IdentifierKind.PURL, purl_key(text)
        except IdentifierError as error:
            raise IdentifierInputError(
                _("“%(text)s” is not a valid package URL: %(reason)s")
                % {"text": text[:200], "reason": error}
            ) from None
    key = repository_key(text)
    if key is None:
        raise IdentifierInputError(
            _("“%(text)s” is neither a package URL (pkg:…) nor a repository address.")
            % {"text": text[:200]}
        )
    return IdentifierKind.REPOSITORY, key


def identifiers_declared(*, project: Project) -> list[str]:
    """The maintainers' identifiers as they can be edited, one per line."""
    rows = project.identifiers.filter(source=IdentifierSource.MAINTAINER).order_by("kind", "value")
    return [_as_text(row.kind, row.value) for row in rows]


def _as_text(kind: str, value: str) -> str:
    if kind == IdentifierKind.REPOSITORY:
        return f"https://{value}"
    if kind == IdentifierKind.PURL_PREFIX:
        return f"pkg:{value}*"
    return f"pkg:{value}"


def project_identifiers_declare(*, project: Project, actor: Any, lines: list[str]) -> Project:
    """Replace the identifiers a project's maintainers declare. Raises
    IdentifierInputError naming each bad line; bad input changes nothing."""
    if not is_maintainer(actor, project):
        raise IdentifierInputError(_("Only the project's maintainers can do this."))
    wanted: set[tuple[str, str]] = set()
    problems = []
    for line in lines:
        if not line.strip():
            continue
        try:
            wanted.add(identifier_parse(line))
        except IdentifierInputError as error:
            problems.append(str(error))
    if problems:
        raise IdentifierInputError(" ".join(problems))
    if len(wanted) > MAX_DECLARED_IDENTIFIERS:
        raise IdentifierInputError(
            _("At most %(max)d identifiers.") % {"max": MAX_DECLARED_IDENTIFIERS}
        )
    with transaction.atomic():
        current = project.identifiers.filter(source=IdentifierSource.MAINTAINER)
        before = set(current.values_list("kind", "value"))
        if before == wanted:
            return project
        current.delete()
        ProjectIdentifier.objects.bulk_create(
            ProjectIdentifier(
                project=project, kind=kind, value=value, source=IdentifierSource.MAINTAINER
            )
            for kind, value in sorted(wanted)
        )
        log_action(
            action="projects.project.identifiers_declared",
            obj=project,
            actor=actor,
            data={
                "added": sorted(_as_text(*i) for i in wanted - before),
                "removed": sorted(_as_text(*i) for i in before - wanted),
            },
        )
    return project


def project_repository_identifier_sync(*, project: Project) -> None:
    """Keep the project's repository address as an identifier (called wherever
    `repository_url` is written: the edit form, a funding.json import)."""
    key = repository_key(project.repository_url) if project.repository_url else None
    existing = project.identifiers.filter(source=IdentifierSource.REPOSITORY_URL)
    if key is None:
        existing.delete()
        return
    existing.exclude(kind=IdentifierKind.REPOSITORY, value=key).delete()
    ProjectIdentifier.objects.get_or_create(
        project=project,
        kind=IdentifierKind.REPOSITORY,
        value=key,
        source=IdentifierSource.REPOSITORY_URL,
    )
