"""The SILL 2020 import: the French State's catalogue as proposed projects."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from librery.services import log_action
from projects.enums import SILL_SOURCE, ProjectStatus
from projects.errors import ProjectsError
from projects.licences import spdx_normalise
from projects.models import (
    Project,
    ProjectUsage,
)
from projects.services.catalogue import projects_written

SILL_CSV = Path(__file__).resolve().parents[1] / "data" / "sill" / "sill-2020.csv"
SILL_REQUIRED_COLUMNS = frozenset({"ID", "nom", "fonction", "licence", "secteur", "composant"})


SILL_GROUPS = frozenset({"MIMO", "MIMDEV", "MIMPROD"})
_LICENCE_SEPARATORS = re.compile(r"\s*(?:,|/|\bet\b)\s*")


class SillImportError(ProjectsError):
    """The file cannot be imported; the message says why."""


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def _sill_licences(raw: str) -> list[str]:
    """SPDX identifiers where the SILL's spelling names one; other entries are kept
    as written (the pages flag them as not SPDX)."""
    parts = [part for part in _LICENCE_SEPARATORS.split(raw.strip()) if part]
    return [spdx_normalise(part) or part for part in parts]


def _sill_usage(row: dict[str, str]) -> str:
    """The interministerial group (public bodies) that lists the software, if any."""
    group = (row.get("groupe") or "").strip()
    return f"{group} (SILL 2020)" if group in SILL_GROUPS else ""


def unique_slug(name: str, ref: str, taken: set[str]) -> str:
    base = slugify(name)[:180] or f"sill-{ref}"
    slug = base if base not in taken else f"{base}-sill-{ref}"
    taken.add(slug)
    return slug


def _sill_rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = SILL_REQUIRED_COLUMNS - set(reader.fieldnames or [])
            if missing:
                raise SillImportError(f"missing columns: {', '.join(sorted(missing))}")
            return list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SillImportError(str(exc)) from exc


def sill_import(*, path: Path = SILL_CSV) -> ImportResult:
    """Import the SILL 2020 catalogue as proposed projects. Idempotent: rows are
    keyed on their SILL id, and a second run changes nothing."""
    rows = _sill_rows(path)
    created = updated = unchanged = 0
    with transaction.atomic():
        existing = {p.source_ref: p for p in Project.objects.filter(source=SILL_SOURCE)}
        usages = set(
            ProjectUsage.objects.filter(source=SILL_SOURCE).values_list(
                "project_id", "organisation"
            )
        )
        taken = set(Project.objects.values_list("slug", flat=True))
        written: list[int] = []  # projects whose texts the import wrote
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
            usage = _sill_usage(row)
            if project is None:
                project = Project.objects.create(
                    slug=unique_slug(values["name"], ref, taken),  # type: ignore[arg-type]
                    source=SILL_SOURCE,
                    source_ref=ref,
                    status=ProjectStatus.PROPOSED,
                    **values,
                )
                if usage:
                    ProjectUsage.objects.create(
                        project=project, organisation=usage, is_public_body=True, source=SILL_SOURCE
                    )
                log_action(
                    action="projects.project.imported", obj=project, data={"source": SILL_SOURCE}
                )
                created += 1
                written.append(project.pk)
                continue
            changed = sorted(f for f, value in values.items() if getattr(project, f) != value)
            new_usage = bool(usage) and (project.pk, usage) not in usages
            if not changed and not new_usage:
                unchanged += 1
                continue
            if changed:
                for field in changed:
                    setattr(project, field, values[field])
                project.save(update_fields=[*changed, "updated_at"])
                written.append(project.pk)
            if new_usage:
                ProjectUsage.objects.get_or_create(
                    project=project,
                    organisation=usage,
                    defaults={"is_public_body": True, "source": SILL_SOURCE},
                )
            log_action(
                action="projects.project.updated_from_source",
                obj=project,
                data={"source": SILL_SOURCE, "fields": changed, "usage_added": new_usage},
            )
            updated += 1
        projects_written(project_ids=written)
    return ImportResult(created=created, updated=updated, unchanged=unchanged)
