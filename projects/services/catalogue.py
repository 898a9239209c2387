"""Projects' status (decided by governance) and their maintainers' edits."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import Func, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Concat, Upper
from django.utils.translation import gettext as _

from librery.pagecache import public_pages_changed
from librery.services import log_action
from librery.transitions import transition
from projects.enums import ProjectStatus
from projects.errors import ProjectsError
from projects.images import LogoError, logo_normalise
from projects.licences import spdx_normalise
from projects.models import (
    Maintainership,
    Project,
)
from projects.permissions import is_maintainer
from projects.services.identifiers import (
    IdentifierInputError,
    project_identifiers_declare,
    project_repository_identifier_sync,
)

# Allowed status changes; governance decisions (motions) drive admit/suspend.
PROJECT_TRANSITIONS: dict[str, frozenset[str]] = {
    ProjectStatus.PROPOSED: frozenset({ProjectStatus.ADMITTED, ProjectStatus.ARCHIVED}),
    ProjectStatus.ADMITTED: frozenset({ProjectStatus.SUSPENDED, ProjectStatus.ARCHIVED}),
    ProjectStatus.SUSPENDED: frozenset({ProjectStatus.ADMITTED, ProjectStatus.ARCHIVED}),
    ProjectStatus.ARCHIVED: frozenset(),
}
_TRANSITION_EVENTS = {
    ProjectStatus.ADMITTED: "admitted",
    ProjectStatus.SUSPENDED: "suspended",
    ProjectStatus.ARCHIVED: "archived",
}


class ProjectTransitionError(ProjectsError):
    """The requested status change is not allowed from the current status."""


def project_transition(
    *, project: Project, to_status: str, actor: object, reference: str, ballot: int | None = None
) -> Project:
    """Move a project to `to_status` (no-op when it is already there), keeping the
    decision's reference, who recorded it and when in the audit trail; `ballot`,
    when the governance portal's vote decided it, lets the project page link
    to that decision."""
    reference = reference.strip()
    if not reference:
        raise ProjectTransitionError(_("A decision reference is required."))
    event = _TRANSITION_EVENTS.get(ProjectStatus(to_status), str(to_status))
    locked, changed = transition(
        instance=project,
        to_status=to_status,
        transitions=PROJECT_TRANSITIONS,
        action=f"projects.project.{event}",
        actor=actor,
        data=lambda _locked, previous: {
            "reference": reference,
            "from": previous,
            "to": to_status,
            **({"ballot": ballot} if ballot is not None else {}),
        },
        error_cls=ProjectTransitionError,
        message=lambda locked, to: _("A %(current)s project cannot become %(target)s.")
        % {"current": ProjectStatus(locked.status).label, "target": ProjectStatus(to).label},
    )
    if changed:
        public_pages_changed()
    return locked


def project_admit(
    *, project: Project, actor: object, reference: str, ballot: int | None = None
) -> Project:
    """Admit a project by a governance decision (`reference` names it: the
    portal's decision number, with its `ballot`, or one an administrator
    records in the admin for a decision taken elsewhere)."""
    return project_transition(
        project=project,
        to_status=ProjectStatus.ADMITTED,
        actor=actor,
        reference=reference,
        ballot=ballot,
    )


def project_suspend(
    *, project: Project, actor: object, reference: str, ballot: int | None = None
) -> Project:
    """Suspend an admitted project by a governance decision; it stops being fundable."""
    return project_transition(
        project=project,
        to_status=ProjectStatus.SUSPENDED,
        actor=actor,
        reference=reference,
        ballot=ballot,
    )


def project_archive(*, project: Project, actor: object, reference: str) -> Project:
    return project_transition(
        project=project, to_status=ProjectStatus.ARCHIVED, actor=actor, reference=reference
    )


# --- Maintainers editing their project ------------------------------------------

EDITABLE_FIELDS = (
    "summary",
    "summary_en",
    "description",
    "description_en",
    "repository_url",
    "website_url",
    "licences",
    "tags",
)


def project_update(
    *,
    project: Project,
    actor: Any,
    values: dict[str, Any],
    logo: bytes | None = None,
    is_public: bool | None = None,
    identifiers: list[str] | None = None,
) -> Project:
    """A maintainer edits the catalogue entry: licences must be SPDX, a logo must be
    an image (it is resized). Raises ProjectEditError; bad input changes nothing."""
    if not is_maintainer(actor, project):
        raise ProjectEditError({"__all__": _("Only the project's maintainers can do this.")})
    clean = {f: values[f] for f in EDITABLE_FIELDS if f in values}
    if "licences" in clean:
        clean["licences"] = _spdx_only(clean["licences"])
    logo_file = None
    if logo is not None:
        try:
            logo_file = logo_normalise(logo)
        except LogoError as exc:
            raise ProjectEditError({"logo": str(exc)}) from exc
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        changed = sorted(f for f, v in clean.items() if getattr(locked, f) != v)
        for field in changed:
            setattr(locked, field, clean[field])
        if logo_file is not None:
            _logo_replace(locked, logo_file)
            changed.append("logo")
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            projects_written(project_ids=[locked.pk])
            project_repository_identifier_sync(project=locked)
        if is_public is not None:
            Maintainership.objects.filter(project=locked, user=actor).update(is_public=is_public)
        _identifiers_declare(locked, actor, identifiers)
        if changed:
            log_action(
                action="projects.project.edited", obj=locked, actor=actor, data={"fields": changed}
            )
    return locked


def _identifiers_declare(project: Project, actor: Any, lines: list[str] | None) -> None:
    """The package URLs and repositories the maintainers declare (None: unchanged)."""
    if lines is None:
        return
    try:
        project_identifiers_declare(project=project, actor=actor, lines=lines)
    except IdentifierInputError as exc:
        raise ProjectEditError({"identifiers": str(exc)}) from exc


def _logo_replace(project: Project, logo_file: Any) -> None:
    """Store the new logo; the file it replaces is deleted once the change commits."""
    superseded = project.logo.name
    project.logo.save(f"{project.slug}.png", logo_file, save=False)
    if superseded and superseded != project.logo.name:
        logo_files_delete(names=[superseded])


def logo_files_delete(*, names: list[str]) -> None:
    """Delete logo files from storage once the transaction that stopped using them
    commits (a replaced logo, a deleted project): nothing is left behind."""
    storage = Project._meta.get_field("logo").storage  # noqa: SLF001 -- Django's public API

    def delete_logo_files() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete_logo_files)


def search_vector() -> CombinedExpression:
    """The words a project is found by: its name first, then the French texts,
    then the English ones, each with its language's stemming."""
    return (
        SearchVector("name", weight="A", config="french")
        + SearchVector("summary", "description", config="french")
        + SearchVector("summary_en", "description_en", config="english")
    )


def search_text() -> Func:
    """The text a part of a word is sought in: the name and both summaries, one per
    line, in the database's capitals (the searched words are put in the same)."""
    return Upper(Concat("name", Value("\n"), "summary", Value("\n"), "summary_en"))


def project_search_refresh(*, project_ids: Any) -> None:
    """Store what `project_ids` (ids, or a queryset of them) are found by, their
    full-text vector and their text in capitals, in one statement, after a service
    wrote their texts. PostgreSQL only: the embedded SQLite default searches the
    texts themselves."""
    if connection.vendor == "postgresql":  # pragma: postgresql only
        Project.objects.filter(pk__in=project_ids).update(
            search_vector=search_vector(), search_text=search_text()
        )


def projects_written(*, project_ids: Any) -> None:
    """After a service wrote projects: their search vector stored, and the public
    pages that show them (catalogue, project pages, home) out of date."""
    project_search_refresh(project_ids=project_ids)
    public_pages_changed()


def project_delete(*, queryset: Any) -> None:
    """Delete projects (the administration's delete) and then their logo files."""
    with transaction.atomic():
        names = [n for n in queryset.values_list("logo", flat=True) if n]
        queryset.delete()
        public_pages_changed()
        if names:
            logo_files_delete(names=names)


def _spdx_only(licences: list[str]) -> list[str]:
    normalised = [spdx_normalise(v) for v in licences]
    unknown = [v for v, n in zip(licences, normalised, strict=True) if n is None]
    if unknown:
        raise ProjectEditError(
            {
                "licences": _("Not in the SPDX licence list: %(names)s.")
                % {"names": ", ".join(unknown)}
            }
        )
    return [n for n in normalised if n is not None]


class ProjectEditError(ProjectsError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
