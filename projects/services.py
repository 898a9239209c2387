"""Writes of the catalogue."""

from __future__ import annotations

import csv
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from librery.services import log_action
from projects.banking import BankDetailsError, bank_details_validate
from projects.enums import MaintainerRole, PayoutAccountStatus, ProjectStatus
from projects.fetching import FetchError, fetch_url
from projects.fundingjson import MAX_MANIFEST_BYTES, manifest_load, manifest_parse
from projects.images import LogoError, logo_normalise
from projects.licences import spdx_normalise
from projects.models import (
    FundingEntity,
    Maintainership,
    PayoutAccount,
    Project,
    ProjectClaim,
    ProjectUsage,
)
from projects.permissions import is_maintainer

SILL_SOURCE = "sill-2020"
SILL_CSV = Path(__file__).resolve().parent / "data" / "sill" / "sill-2020.csv"
SILL_REQUIRED_COLUMNS = frozenset({"ID", "nom", "fonction", "licence", "secteur", "composant"})
WELL_KNOWN_MAX_BYTES = 64_000
WELL_KNOWN_MAX_LINES = 100
SILL_GROUPS = frozenset({"MIMO", "MIMDEV", "MIMPROD"})
_LICENCE_SEPARATORS = re.compile(r"\s*(?:,|/|\bet\b)\s*")


class SillImportError(Exception):
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


def _unique_slug(name: str, ref: str, taken: set[str]) -> str:
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
                    slug=_unique_slug(values["name"], ref, taken),  # type: ignore[arg-type]
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
    return ImportResult(created=created, updated=updated, unchanged=unchanged)


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


class ProjectTransitionError(Exception):
    """The requested status change is not allowed from the current status."""


def project_transition(
    *, project: Project, to_status: str, actor: object, reference: str
) -> Project:
    """Move a project to `to_status` (no-op when it is already there), keeping the
    decision's reference, who recorded it and when in the audit trail."""
    reference = reference.strip()
    if not reference:
        raise ProjectTransitionError(_("A decision reference is required."))
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.status == to_status:
            return locked
        if to_status not in PROJECT_TRANSITIONS[locked.status]:
            raise ProjectTransitionError(
                _("A %(current)s project cannot become %(target)s.")
                % {
                    "current": ProjectStatus(locked.status).label,
                    "target": ProjectStatus(to_status).label,
                }
            )
        previous = locked.status
        locked.status = to_status
        locked.save(update_fields=["status", "updated_at"])
        log_action(
            action=f"projects.project.{_TRANSITION_EVENTS[ProjectStatus(to_status)]}",
            obj=locked,
            actor=actor,
            data={"reference": reference, "from": previous, "to": to_status},
        )
    return locked


def project_admit(*, project: Project, actor: object, reference: str) -> Project:
    """Admit a project by a governance decision (`reference` names it; until the
    governance portal exists an administrator records it in the admin)."""
    return project_transition(
        project=project, to_status=ProjectStatus.ADMITTED, actor=actor, reference=reference
    )


def project_suspend(*, project: Project, actor: object, reference: str) -> Project:
    """Suspend an admitted project by a governance decision; it stops being fundable."""
    return project_transition(
        project=project, to_status=ProjectStatus.SUSPENDED, actor=actor, reference=reference
    )


def project_archive(*, project: Project, actor: object, reference: str) -> Project:
    return project_transition(
        project=project, to_status=ProjectStatus.ARCHIVED, actor=actor, reference=reference
    )


class PayoutAccountError(Exception):
    """The payout account cannot be changed; `errors` maps fields to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


PAYOUT_ACCOUNT_TRANSITIONS: dict[str, frozenset[str]] = {
    PayoutAccountStatus.UNVERIFIED: frozenset({PayoutAccountStatus.VERIFIED}),
    PayoutAccountStatus.VERIFIED: frozenset({PayoutAccountStatus.UNVERIFIED}),
}


def payout_account_transition(
    *, account: PayoutAccount, to_status: str, actor: Any, now: datetime | None = None
) -> PayoutAccount:
    """Verify or unverify an account (no-op when already there); logged."""
    with transaction.atomic():
        locked = PayoutAccount.objects.select_for_update(of=("self",)).get(pk=account.pk)
        if locked.status == to_status:
            return locked
        if to_status not in PAYOUT_ACCOUNT_TRANSITIONS[locked.status]:
            raise PayoutAccountError({"status": _("This change of status is not allowed.")})
        locked.status = to_status
        verified = to_status == PayoutAccountStatus.VERIFIED
        locked.verified_at = (now or timezone.now()) if verified else None
        locked.verified_by = actor if verified else None
        locked.save(update_fields=["status", "verified_at", "verified_by", "updated_at"])
        log_action(
            action=f"projects.payout_account.{to_status}",
            obj=locked,
            actor=actor,
            data={"project": locked.project_id, "iban": locked.masked_iban},
        )
    return locked


def payout_account_verify(*, account: PayoutAccount, actor: Any) -> PayoutAccount:
    """An administrator checked the account (e.g. against a bank document)."""
    if not getattr(actor, "is_staff", False):
        raise PayoutAccountError({"status": _("Only an administrator can verify an account.")})
    return payout_account_transition(
        account=account, to_status=PayoutAccountStatus.VERIFIED, actor=actor
    )


def payout_account_save(
    *,
    project: Project,
    actor: Any,
    password: str,
    holder_name: str,
    iban: str,
    bic: str,
    address: str,
) -> PayoutAccount:
    """Create or change a project's payout account. The changing maintainer gives
    their password again; a change unverifies the account, is audited, and every
    maintainer of the project is told by email."""
    if not is_maintainer(actor, project):
        raise PayoutAccountError({"__all__": _("Only the project's maintainers can do this.")})
    if not password or not actor.check_password(password):
        raise PayoutAccountError({"password": _("This password is not correct.")})
    try:
        details = bank_details_validate(iban=iban, bic=bic)
    except BankDetailsError as exc:
        raise PayoutAccountError(exc.errors) from exc
    values = {
        "holder_name": holder_name.strip(),
        "iban": details.iban,
        "bic": details.bic,
        "address": address.strip(),
    }
    missing = {f: _("This field is required.") for f in ("holder_name", "address") if not values[f]}
    if missing:
        raise PayoutAccountError(missing)
    with transaction.atomic():
        account = PayoutAccount.objects.select_for_update().filter(project=project).first()
        if account is None:
            account = PayoutAccount.objects.create(project=project, **values)
            changed = sorted(values)
            previous_iban = ""
        else:
            changed = sorted(f for f, v in values.items() if getattr(account, f) != v)
            if not changed:
                return account
            previous_iban = account.masked_iban
            for field in changed:
                setattr(account, field, values[field])
            account.status = PayoutAccountStatus.UNVERIFIED
            account.verified_at = None
            account.verified_by = None
            account.save(
                update_fields=[*changed, "status", "verified_at", "verified_by", "updated_at"]
            )
        log_action(
            action="projects.payout_account.changed",
            obj=account,
            actor=actor,
            data={
                "project": project.pk,
                "fields": changed,
                "previous_iban": previous_iban,
                "iban": account.masked_iban,
            },
        )
        recipients = list(
            Maintainership.objects.filter(project=project)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
        masked = account.masked_iban
        changer = str(actor)
        transaction.on_commit(
            lambda: _notify_payout_account_change(
                project=project, recipients=recipients, masked_iban=masked, changer=changer
            )
        )
    return account


def _notify_payout_account_change(
    *, project: Project, recipients: list[str], masked_iban: str, changer: str
) -> None:
    subject = _("[The Librery] The payout account of %(project)s was changed") % {
        "project": project.name
    }
    body = _(
        "%(changer)s changed the payout account of %(project)s. The account is now "
        "%(iban)s and no payout will be made until an administrator verifies it.\n\n"
        "If you did not expect this change, contact the fund's administrators at once."
    ) % {"changer": changer, "project": project.name, "iban": masked_iban}
    send_mass_mail(
        [(subject, body, None, [address]) for address in recipients], fail_silently=False
    )


# --- funding.json -------------------------------------------------------------

FUNDING_JSON_SOURCE = "funding.json"


@dataclass(frozen=True)
class ManifestImportResult:
    entity: FundingEntity
    created: list[Project]
    updated: list[Project]
    unchanged: list[Project]


def funding_manifest_fetch(*, url: str, allow_loopback: bool = False) -> bytes:
    """The bytes of the manifest at `url`, fetched safely (raises FetchError)."""
    if not urlsplit(url).path.endswith("/funding.json"):
        raise FetchError(_("A manifest's address ends in /funding.json."))
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
                    slug=_unique_slug(values["name"], guid, taken),
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


class ClaimError(Exception):
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
            .values_list("user__email", flat=True)
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
            name, who = project.name, str(actor)
            transaction.on_commit(
                lambda: _notify_new_maintainer(project_name=name, who=who, recipients=others)
            )
    return maintainership


def _notify_new_maintainer(*, project_name: str, who: str, recipients: list[str]) -> None:
    subject = _("[The Librery] A new maintainer for %(project)s") % {"project": project_name}
    body = _(
        "%(who)s proved control of %(project)s through its funding.json manifest and is now "
        "one of its maintainers on The Librery.\n\nIf this is unexpected, contact the fund's "
        "administrators."
    ) % {"who": who, "project": project_name}
    send_mass_mail([(subject, body, None, [r]) for r in recipients if r], fail_silently=False)


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
            locked.logo.save(f"{locked.slug}.png", logo_file, save=False)
            changed.append("logo")
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
        if is_public is not None:
            Maintainership.objects.filter(project=locked, user=actor).update(is_public=is_public)
        if changed:
            log_action(
                action="projects.project.edited", obj=locked, actor=actor, data={"fields": changed}
            )
    return locked


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


class ProjectEditError(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
