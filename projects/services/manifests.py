"""funding.json manifests (fetch and import) and maintainers' claims."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from librery.mail import mail_enqueue
from librery.services import log_action
from projects.enums import MaintainerRole, ProjectStatus
from projects.errors import ProjectsError
from projects.fetching import FetchError, fetch_url
from projects.fundingjson import MAX_MANIFEST_BYTES, manifest_load, manifest_parse
from projects.licences import spdx_normalise
from projects.models import (
    FundingEntity,
    Maintainership,
    Project,
    ProjectClaim,
)
from projects.permissions import is_maintainer
from projects.services.sill import unique_slug

WELL_KNOWN_MAX_BYTES = 64_000
WELL_KNOWN_MAX_LINES = 100


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
    return ManifestImportResult(
        entity=entity, created=created, updated=updated, unchanged=unchanged
    )


# --- Claims -------------------------------------------------------------------

CLAIM_TOKEN_PREFIX = "librery-claim-"  # noqa: S105 -- a prefix, not a secret


class ClaimError(ProjectsError):
    """The claim cannot be made or verified; the message says why (translated)."""


def project_claim_start(*, project: Project, actor: Any) -> ProjectClaim:
    """The user's claim on the project (created with a fresh token the first time)."""
    if project.entity is None or not project.entity.manifest_url:
        raise ClaimError(_("This project has no published funding.json manifest to prove it."))
    if is_maintainer(actor, project):
        raise ClaimError(_("You already maintain this project."))
    claim, created = ProjectClaim.objects.get_or_create(
        project=project,
        user=actor,
        defaults={"token": CLAIM_TOKEN_PREFIX + secrets.token_urlsafe(24)},
    )
    if created:
        log_action(action="projects.claim.started", obj=claim, actor=actor)
    return claim


def _claim_places(project: Project, data: dict[str, Any]) -> list[str]:
    """The project's wellKnown URLs in the manifest: a token there counts too."""
    for entry in data.get("projects", []):
        if entry.get("guid") == project.manifest_guid:
            return [
                str(block["wellKnown"])
                for block in (entry.get("webpageUrl"), entry.get("repositoryUrl"))
                if isinstance(block, dict) and block.get("wellKnown")
            ]
    return []


def _token_in_well_known(body: bytes, token: str) -> bool:
    lines = body.decode("utf-8", errors="replace").splitlines()[:WELL_KNOWN_MAX_LINES]
    return any(line.strip() == token for line in lines)


def project_claim_verify(
    *, claim: ProjectClaim, actor: Any, allow_loopback: bool = False
) -> Maintainership:
    """Look for the claim's token in the project's manifest, then at its wellKnown
    URLs; when found the user becomes a maintainer and the others are told."""
    if claim.user_id != getattr(actor, "pk", None):
        raise ClaimError(_("This claim is not yours."))
    project = claim.project
    entity = project.entity
    if entity is None or not entity.manifest_url:
        raise ClaimError(_("This project has no published funding.json manifest to prove it."))
    raw = funding_manifest_fetch(url=entity.manifest_url, allow_loopback=allow_loopback)
    found = claim.token.encode() in raw
    if not found:
        data = manifest_parse(raw)
        for url in _claim_places(project, data):
            try:
                body = fetch_url(url, max_bytes=WELL_KNOWN_MAX_BYTES, allow_loopback=allow_loopback)
            except FetchError:
                continue
            if _token_in_well_known(body.body, claim.token):
                found = True
                break
    if not found:
        raise ClaimError(
            _("The token was not found in %(url)s nor at the project's wellKnown addresses.")
            % {"url": entity.manifest_url}
        )
    with transaction.atomic():
        locked = ProjectClaim.objects.select_for_update().get(pk=claim.pk)
        others = list(
            Maintainership.objects.filter(project=project)
            .exclude(user=actor)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
        maintainership, created = Maintainership.objects.get_or_create(
            project=project,
            user=actor,
            defaults={"role": MaintainerRole.MAINTAINER if others else MaintainerRole.OWNER},
        )
        if locked.verified_at is None:
            locked.verified_at = timezone.now()
            locked.save(update_fields=["verified_at"])
        if created:
            log_action(
                action="projects.claim.verified",
                obj=locked,
                actor=actor,
                data={"project": project.pk, "role": maintainership.role},
            )
            _notify_new_maintainer(project=project, who=str(actor), recipients=others)
    return maintainership


def _notify_new_maintainer(*, project: Project, who: str, recipients: list[int]) -> None:
    """Tell the project's other maintainers, after the commit, who joined them."""
    mail_enqueue(
        template="projects/email/new_maintainer",
        recipients=recipients,
        context={"project": project.name, "who": who},
        links={"url": ("projects:detail", [project.slug])},
    )
