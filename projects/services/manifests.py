"""funding.json manifests: fetch and import (claims are in `claims`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext as _

from librery.services import log_action
from projects.enums import ProjectStatus
from projects.fetching import FetchError, fetch_url
from projects.fundingjson import MAX_MANIFEST_BYTES, manifest_load
from projects.licences import spdx_normalise
from projects.models import FundingEntity, Project
from projects.services.catalogue import projects_written
from projects.services.identifiers import project_repository_identifier_sync
from projects.services.sill import unique_slug

# --- funding.json -------------------------------------------------------------

FUNDING_JSON_SOURCE = "funding.json"


@dataclass(frozen=True)
class ManifestImportResult:
    entity: FundingEntity
    created: list[Project]
    updated: list[Project]
    unchanged: list[Project]


def check_manifest_url(url: str) -> None:
    """Raise FetchError if `url` cannot be a manifest's address."""
    if not urlsplit(url).path.endswith("/funding.json"):
        raise FetchError(_("A manifest's address ends in /funding.json."))


def funding_manifest_fetch(*, url: str, allow_loopback: bool = False) -> bytes:
    """The bytes of the manifest at `url`, fetched safely (raises FetchError)."""
    check_manifest_url(url)
    return fetch_url(url, max_bytes=MAX_MANIFEST_BYTES, allow_loopback=allow_loopback).body


def _summary(description: str) -> str:
    first = description.strip().split("\n", 1)[0]
    return first if len(first) <= 500 else first[:499] + "…"  # noqa: PLR2004 -- the field's size


def _manifest_project_values(entry: dict[str, Any]) -> dict[str, Any]:
    licences = [spdx_normalise(str(v)) or str(v) for v in entry.get("licenses", [])]
    return {
        "name": str(entry["name"])[:200],
        "summary_en": _summary(str(entry["description"])),
        "description_en": str(entry["description"]),
        "website_url": str((entry.get("webpageUrl") or {}).get("url", "")),
        "repository_url": str((entry.get("repositoryUrl") or {}).get("url", "")),
        "licences": licences,
        "tags": [str(t) for t in entry.get("tags", [])],
    }


def _manifest_entity(*, data: dict[str, Any], raw: bytes, actor: Any, url: str) -> FundingEntity:
    block = data["entity"]
    values = {
        "kind": block["type"],
        "role": block["role"],
        "name": block["name"],
        "email": block["email"],
        "description": block.get("description", ""),
        "webpage_url": (block.get("webpageUrl") or {}).get("url", ""),
        "manifest": raw.decode("utf-8-sig"),
    }
    if url:
        entity = FundingEntity.objects.select_for_update().filter(manifest_url=url).first()
    else:
        entity = (
            FundingEntity.objects.select_for_update()
            .filter(manifest_url="", submitted_by=actor, email=values["email"])
            .first()
        )
    if entity is None:
        return FundingEntity.objects.create(manifest_url=url, submitted_by=actor, **values)
    for field, value in values.items():
        setattr(entity, field, value)
    entity.save()
    return entity


def funding_manifest_import(
    *, raw: bytes, actor: Any, manifest_url: str = ""
) -> ManifestImportResult:
    """Validate a funding.json manifest and create or update its entity and projects
    (new ones are proposed). Raises ManifestError listing every problem; an invalid
    manifest changes nothing."""
    data = manifest_load(raw, manifest_url=manifest_url)
    created: list[Project] = []
    updated: list[Project] = []
    unchanged: list[Project] = []
    with transaction.atomic():
        entity = _manifest_entity(data=data, raw=raw, actor=actor, url=manifest_url)
        existing = {p.manifest_guid: p for p in Project.objects.filter(entity=entity)}
        taken = set(Project.objects.values_list("slug", flat=True))
        for entry in data.get("projects", []):
            guid = str(entry["guid"])
            values = _manifest_project_values(entry)
            project = existing.get(guid)
            if project is None:
                project = Project.objects.create(
                    slug=unique_slug(values["name"], guid, taken),
                    source=FUNDING_JSON_SOURCE,
                    source_ref=f"{entity.pk}:{guid}",
                    entity=entity,
                    manifest_guid=guid,
                    status=ProjectStatus.PROPOSED,
                    **values,
                )
                log_action(
                    action="projects.project.imported",
                    obj=project,
                    actor=actor,
                    data={"source": FUNDING_JSON_SOURCE, "manifest_url": manifest_url},
                )
                created.append(project)
                continue
            changed = sorted(f for f, v in values.items() if getattr(project, f) != v)
            if not changed:
                unchanged.append(project)
                continue
            for field in changed:
                setattr(project, field, values[field])
            project.save(update_fields=[*changed, "updated_at"])
            log_action(
                action="projects.project.updated_from_source",
                obj=project,
                actor=actor,
                data={"source": FUNDING_JSON_SOURCE, "fields": changed},
            )
            updated.append(project)
        projects_written(project_ids=[p.pk for p in (*created, *updated)])
        for project in (*created, *updated):
            project_repository_identifier_sync(project=project)
    return ManifestImportResult(
        entity=entity, created=created, updated=updated, unchanged=unchanged
    )
