"""Writes of the catalogue."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from librery.services import log_action
from projects.enums import ProjectStatus
from projects.models import Project

SILL_SOURCE = "sill-2020"
SILL_CSV = Path(__file__).resolve().parent / "data" / "sill" / "sill-2020.csv"
SILL_REQUIRED_COLUMNS = frozenset({"ID", "nom", "fonction", "licence", "secteur", "composant"})
_LICENCE_SEPARATORS = re.compile(r"\s*(?:,|/|\bet\b)\s*")


class SillImportError(Exception):
    """The file cannot be imported; the message says why."""


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def _sill_licences(raw: str) -> list[str]:
    return [part for part in _LICENCE_SEPARATORS.split(raw.strip()) if part]


def _unique_slug(name: str, ref: str, taken: set[str]) -> str:
    base = slugify(name)[:180] or f"sill-{ref}"
    slug = base if base not in taken else f"{base}-sill-{ref}"
    taken.add(slug)
    return slug


def sill_import(*, path: Path = SILL_CSV) -> ImportResult:
    """Import the SILL 2020 catalogue as proposed projects. Idempotent: rows are
    keyed on their SILL id, and a second run changes nothing."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = SILL_REQUIRED_COLUMNS - set(reader.fieldnames or [])
            if missing:
                raise SillImportError(f"missing columns: {', '.join(sorted(missing))}")
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SillImportError(str(exc)) from exc

    created = updated = unchanged = 0
    with transaction.atomic():
        existing = {p.source_ref: p for p in Project.objects.filter(source=SILL_SOURCE)}
        taken = set(Project.objects.values_list("slug", flat=True))
        for row in rows:
            ref = row["ID"].strip()
            if not ref or not row["nom"].strip():
                continue
            values = {
                "name": row["nom"].strip(),
                "summary": row["fonction"].strip()[:500],
                "licences": _sill_licences(row["licence"]),
                "tags": [t for t in (row["secteur"].strip(), row["composant"].strip()) if t],
            }
            project = existing.get(ref)
            if project is None:
                project = Project.objects.create(
                    slug=_unique_slug(values["name"], ref, taken),  # type: ignore[arg-type]
                    source=SILL_SOURCE,
                    source_ref=ref,
                    status=ProjectStatus.PROPOSED,
                    **values,
                )
                log_action(
                    action="projects.project.imported", obj=project, data={"source": SILL_SOURCE}
                )
                created += 1
            elif any(getattr(project, field) != value for field, value in values.items()):
                for field, value in values.items():
                    setattr(project, field, value)
                project.save(update_fields=[*values, "updated_at"])
                log_action(
                    action="projects.project.updated_from_source",
                    obj=project,
                    data={"source": SILL_SOURCE, "fields": sorted(values)},
                )
                updated += 1
            else:
                unchanged += 1
    return ImportResult(created=created, updated=updated, unchanged=unchanged)


def project_admit(*, project: Project, actor: object, reference: str) -> Project:
    """Admit a project (until the governance portal exists, an administrator
    records the decision with its reference)."""
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.status == ProjectStatus.ADMITTED:
            return locked
        locked.status = ProjectStatus.ADMITTED
        locked.save(update_fields=["status", "updated_at"])
        log_action(
            action="projects.project.admitted",
            obj=locked,
            actor=actor,
            data={"reference": reference},
        )
    return locked
