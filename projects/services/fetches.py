"""Fetches of funding.json manifests that a page starts and a task runs: the page
never waits on an outside server (issue 9, finding 11).

`manifest_fetch_request` / `claim_verify_request` store a pending
`FundingManifestFetch` and enqueue `projects.manifest_fetch_run` once the
transaction commits; `manifest_fetch_run` (the task's one call) claims the row
(pending → running), fetches, imports or verifies, and records the outcome
(succeeded with its result, or failed with the message, in the language of the
person who asked). Running it again on a row that is not pending does nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from librery.transitions import transition
from projects.enums import FetchStatus
from projects.errors import ProjectsError
from projects.fetching import FetchError
from projects.fundingjson import ManifestError
from projects.models import FundingManifestFetch, ProjectClaim
from projects.services.claims import (
    ClaimError,
    claim_can_be_checked,
    claim_places,
    project_claim_verify,
)
from projects.services.manifests import (
    check_manifest_url,
    funding_manifest_fetch,
    funding_manifest_import,
)

FETCH_TRANSITIONS: dict[str, frozenset[str]] = {
    FetchStatus.PENDING: frozenset({FetchStatus.RUNNING}),
    FetchStatus.RUNNING: frozenset({FetchStatus.SUCCEEDED, FetchStatus.FAILED}),
}
_MAX_ERROR = 2_000
# A fetch ends within its deadline (LIBRERY_FETCH_DEADLINE, 20 s by default, for
# each address it reads); one running for longer than this lost its worker.
FETCH_STALE_AFTER = timedelta(minutes=10)


class FetchTransitionError(ProjectsError):
    """A manifest fetch cannot move to the status asked."""


def _enqueue(fetch: FundingManifestFetch) -> None:
    kwargs = {"fetch_id": fetch.pk}

    def manifest_fetch_after_commit() -> None:
        from projects.tasks import manifest_fetch_run_task  # noqa: PLC0415 -- tasks import this

        manifest_fetch_run_task.apply_async(kwargs=kwargs)

    transaction.on_commit(manifest_fetch_after_commit)


def manifest_fetch_request(*, url: str, actor: Any) -> FundingManifestFetch:
    """Start fetching and importing the manifest at `url` (FetchError at once if
    the address cannot be a manifest's)."""
    check_manifest_url(url)
    with transaction.atomic():
        fetch = FundingManifestFetch.objects.create(
            requested_by=actor, url=url, language=translation.get_language() or ""
        )
        _enqueue(fetch)
    return fetch


def claim_verify_request(*, claim: ProjectClaim, actor: Any) -> FundingManifestFetch:
    """Start verifying `claim` (its project's manifest and wellKnown files, then
    the files at its website and repository); the fetch's address is the first
    place looked at."""
    if claim.user_id != getattr(actor, "pk", None):
        raise ClaimError(_("This claim is not yours."))
    project = claim.project
    if not claim_can_be_checked(project):
        raise ClaimError(_("There is nowhere to look for the token: ask for a review instead."))
    entity = project.entity
    first = entity.manifest_url if entity is not None and entity.manifest_url else ""
    with transaction.atomic():
        fetch = FundingManifestFetch.objects.create(
            requested_by=actor,
            url=first or claim_places(project)[0],
            claim=claim,
            language=translation.get_language() or "",
        )
        _enqueue(fetch)
    return fetch


def _move(
    fetch: FundingManifestFetch, to_status: str, **fields: Any
) -> tuple[FundingManifestFetch, bool]:
    return transition(
        instance=fetch,
        to_status=to_status,
        transitions=FETCH_TRANSITIONS,
        action=f"projects.manifest_fetch.{to_status}",
        error_cls=FetchTransitionError,
        fields=fields,
    )


def _import(fetch: FundingManifestFetch, allow_loopback: bool) -> dict[str, Any]:
    raw = funding_manifest_fetch(url=fetch.url, allow_loopback=allow_loopback)
    outcome = funding_manifest_import(raw=raw, actor=fetch.requested_by, manifest_url=fetch.url)
    return {
        "entity": outcome.entity.name,
        **{
            key: [{"slug": p.slug, "name": p.name} for p in projects]
            for key, projects in (
                ("created", outcome.created),
                ("updated", outcome.updated),
                ("unchanged", outcome.unchanged),
            )
        },
    }


def _verify(fetch: FundingManifestFetch, allow_loopback: bool) -> dict[str, Any]:
    claim = fetch.claim
    assert claim is not None  # noqa: S101 -- the caller checked
    membership = project_claim_verify(
        claim=claim, actor=fetch.requested_by, allow_loopback=allow_loopback
    )
    return {"project": claim.project.slug, "role": membership.role}


def manifest_fetch_run(
    *, fetch_id: int, now: datetime, allow_loopback: bool = False
) -> FundingManifestFetch:
    """Run one pending fetch to its end (idempotent: a fetch already taken is left,
    unless its worker died: running for longer than FETCH_STALE_AFTER, it failed)."""
    fetch = FundingManifestFetch.objects.select_related(
        "requested_by", "claim__project__entity"
    ).get(pk=fetch_id)
    if fetch.status == FetchStatus.RUNNING and fetch.updated_at < now - FETCH_STALE_AFTER:
        with translation.override(fetch.language or None):
            message = _("The fetch was interrupted; start it again.")
        return _move(fetch, FetchStatus.FAILED, error=message)[0]
    if fetch.status != FetchStatus.PENDING:
        return fetch
    fetch, taken = _move(fetch, FetchStatus.RUNNING)
    if not taken:  # another worker has it
        return fetch
    fetch = FundingManifestFetch.objects.select_related(
        "requested_by", "claim__project__entity"
    ).get(pk=fetch_id)
    work: Callable[[FundingManifestFetch, bool], dict[str, Any]] = (
        _verify if fetch.claim_id else _import
    )
    with translation.override(fetch.language or None):
        try:
            result = work(fetch, allow_loopback)
        except ManifestError as exc:
            problems = [[p.field, p.message] for p in exc.problems]
            message = _("The manifest is not valid.")
            return _move(fetch, FetchStatus.FAILED, error=message, result={"problems": problems})[0]
        except (FetchError, ClaimError) as exc:
            return _move(fetch, FetchStatus.FAILED, error=str(exc)[:_MAX_ERROR])[0]
    return _move(fetch, FetchStatus.SUCCEEDED, result=result)[0]
