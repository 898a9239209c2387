"""Claims: a person proves they maintain a project (issue 14, item 10).

Every project can be claimed. The claimant gets a token and proves control in
one of three ways:

- the token in the project's funding.json manifest, or on a line of its own in
  one of the manifest's `wellKnown` files (`ClaimMethod.MANIFEST`);
- the token on a line of its own in the file `.well-known/funding-manifest-urls`
  at the project's website or in its repository (`ClaimMethod.WELL_KNOWN`): the
  places are listed by `claim_places`, fetched like manifests (public hosts
  only, size cap, deadline);
- a review by an administrator, who reads the evidence the claimant gave and
  accepts or rejects the claim with a reason (`ClaimMethod.REVIEW`).

A verified claim makes the claimant a maintainer (the owner when the project had
none); statuses move only through `librery.transitions.transition`, each move
audit-logged; the claimant, the administrators and the other maintainers are
told by mail, after the commit, each in their own language.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from librery.mail import mail_enqueue
from librery.services import log_action
from librery.transitions import transition
from projects.enums import ClaimMethod, ClaimStatus, MaintainerRole
from projects.errors import ProjectsError
from projects.fetching import FetchError, fetch_url
from projects.fundingjson import ManifestError, manifest_parse
from projects.models import (
    MAX_CLAIM_EVIDENCE,
    MAX_CLAIM_LINKS,
    MAX_CLAIM_REASON,
    Maintainership,
    Project,
    ProjectClaim,
)
from projects.permissions import is_maintainer
from projects.services.manifests import funding_manifest_fetch

CLAIM_TOKEN_PREFIX = "librery-claim-"  # noqa: S105 -- a prefix, not a secret
WELL_KNOWN_MAX_BYTES = 64_000
WELL_KNOWN_MAX_LINES = 100
WELL_KNOWN_PATH = ".well-known/funding-manifest-urls"
MAX_CLAIM_LINK_LENGTH = 500

CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    ClaimStatus.OPEN: frozenset({ClaimStatus.REVIEW, ClaimStatus.VERIFIED}),
    ClaimStatus.REVIEW: frozenset({ClaimStatus.VERIFIED, ClaimStatus.REJECTED}),
    # A rejected claimant may give more evidence, or prove it with the token.
    ClaimStatus.REJECTED: frozenset({ClaimStatus.REVIEW, ClaimStatus.VERIFIED}),
}


class ClaimError(ProjectsError):
    """The claim cannot be made, verified or reviewed; the message says why (translated)."""


# --- Where the token may be published -----------------------------------------


def _manifest_url(project: Project) -> str:
    entity = project.entity
    return entity.manifest_url if entity is not None else ""


def _repository_file(url: str) -> str:
    """The address of the repository's file `.well-known/funding-manifest-urls`
    (its raw text on the default branch for GitHub and GitLab)."""
    parts = urlsplit(url.rstrip("/"))
    segments = [s for s in parts.path.split("/") if s]
    host = (parts.hostname or "").lower()
    if host == "github.com" and len(segments) >= 2:  # noqa: PLR2004 -- owner and name
        owner, name = segments[0], segments[1].removesuffix(".git")
        return f"https://raw.githubusercontent.com/{owner}/{name}/HEAD/{WELL_KNOWN_PATH}"
    if "gitlab" in host and len(segments) >= 2:  # noqa: PLR2004 -- group and name
        path = "/".join(segments).removesuffix(".git")
        raw = f"/{path}/-/raw/HEAD/{WELL_KNOWN_PATH}"
        return urlunsplit((parts.scheme, parts.netloc, raw, "", ""))
    return _site_file(url)


def _site_file(url: str) -> str:
    """`<url>/.well-known/funding-manifest-urls`, beside the page (as the
    funding.json standard places a wellKnown file)."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path + WELL_KNOWN_PATH, "", ""))


def _root_file(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + WELL_KNOWN_PATH, "", ""))


def claim_places(project: Project) -> list[str]:
    """The addresses where a claimant may publish the token on a line of its own:
    the file beside the project's website (and at its host's root) and in its
    repository. Only http(s) addresses with a host."""
    places: list[str] = []
    candidates: list[str] = []
    website, repository = project.website_url.strip(), project.repository_url.strip()
    if website:
        candidates += [_site_file(website), _root_file(website)]
    if repository:
        candidates.append(_repository_file(repository))
    for url in candidates:
        parts = urlsplit(url)
        if parts.scheme in {"http", "https"} and parts.hostname and url not in places:
            places.append(url)
    return places


def _token_in_well_known(body: bytes, token: str) -> bool:
    lines = body.decode("utf-8", errors="replace").splitlines()[:WELL_KNOWN_MAX_LINES]
    return any(line.strip() == token for line in lines)


def _manifest_well_knowns(project: Project, data: dict[str, Any]) -> list[str]:
    """The project's wellKnown URLs in its manifest: a token there counts too."""
    for entry in data.get("projects", []):
        if entry.get("guid") == project.manifest_guid:
            return [
                str(block["wellKnown"])
                for block in (entry.get("webpageUrl"), entry.get("repositoryUrl"))
                if isinstance(block, dict) and block.get("wellKnown")
            ]
    return []


@dataclass
class _Search:
    """Where the token was looked for, and why it was not found there."""

    token: str
    allow_loopback: bool
    misses: list[str]

    def in_file(self, url: str) -> bool:
        try:
            body = fetch_url(
                url, max_bytes=WELL_KNOWN_MAX_BYTES, allow_loopback=self.allow_loopback
            )
        except FetchError as exc:
            self.misses.append(f"{url} ({exc})")
            return False
        if _token_in_well_known(body.body, self.token):
            return True
        self.misses.append(f"{url} ({_('not on a line of its own')})")
        return False

    def in_manifest(self, project: Project, url: str) -> bool:
        try:
            raw = funding_manifest_fetch(url=url, allow_loopback=self.allow_loopback)
        except FetchError as exc:
            self.misses.append(f"{url} ({exc})")
            return False
        if self.token.encode() in raw:
            return True
        self.misses.append(f"{url} ({_('not in the manifest')})")
        try:
            data = manifest_parse(raw)
        except ManifestError:
            return False
        return any(self.in_file(place) for place in _manifest_well_knowns(project, data))


# --- Starting and proving a claim ------------------------------------------------


def project_claim_start(*, project: Project, actor: Any) -> ProjectClaim:
    """The user's claim on the project (created with a fresh token the first time)."""
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


def claim_can_be_checked(project: Project) -> bool:
    """Whether there is anywhere to look for a token (a manifest, a website, a repository)."""
    return bool(_manifest_url(project) or claim_places(project))


def project_claim_verify(
    *, claim: ProjectClaim, actor: Any, allow_loopback: bool = False
) -> Maintainership:
    """Look for the claim's token in the project's manifest and its wellKnown files,
    then in the `.well-known/funding-manifest-urls` files of its website and
    repository; when found the user becomes a maintainer and the others are told."""
    if claim.user_id != getattr(actor, "pk", None):
        raise ClaimError(_("This claim is not yours."))
    project = claim.project
    manifest_url = _manifest_url(project)
    places = claim_places(project)
    if not manifest_url and not places:
        raise ClaimError(_nowhere_message())
    search = _Search(token=claim.token, allow_loopback=allow_loopback, misses=[])
    if manifest_url and search.in_manifest(project, manifest_url):
        return _claim_verified(claim=claim, actor=actor, method=ClaimMethod.MANIFEST)
    if any(search.in_file(place) for place in places):
        return _claim_verified(claim=claim, actor=actor, method=ClaimMethod.WELL_KNOWN)
    raise ClaimError(
        _("The token was not found. Places looked at: %(places)s.")
        % {"places": "; ".join(search.misses)}
    )


def _nowhere_message() -> str:
    return _(
        "This project has no funding.json manifest, website or repository where a token "
        "could be published: ask an administrator to review your claim."
    )


def _claim_verified(
    *, claim: ProjectClaim, actor: Any, method: str, fields: dict[str, Any] | None = None
) -> Maintainership:
    """Mark the claim verified and make its user a maintainer (never twice)."""
    project = claim.project
    with transaction.atomic():
        others = list(
            Maintainership.objects.filter(project=project)
            .exclude(user_id=claim.user_id)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
        role = MaintainerRole.MAINTAINER if others else MaintainerRole.OWNER
        transition(
            instance=claim,
            to_status=ClaimStatus.VERIFIED,
            transitions=CLAIM_TRANSITIONS,
            action="projects.claim.verified",
            error_cls=ClaimError,
            actor=actor,
            fields={"verified_at": timezone.now(), "method": method, **(fields or {})},
            data={"project": project.pk, "role": role, "method": method},
        )
        maintainership, created = Maintainership.objects.get_or_create(
            project=project, user_id=claim.user_id, defaults={"role": role}
        )
        if created:
            mail_enqueue(
                template="projects/email/new_maintainer",
                recipients=others,
                context={"project": project.name, "who": str(claim.user), "method": method},
                links={"url": ("projects:detail", [project.slug])},
            )
    return maintainership


# --- A review by an administrator ----------------------------------------------


def _clean_links(links: list[str]) -> list[str]:
    check = URLValidator(schemes=["http", "https"])
    cleaned: list[str] = []
    for link in (str(value).strip() for value in links):
        if not link or link in cleaned:
            continue
        try:
            if len(link) > MAX_CLAIM_LINK_LENGTH:
                raise ValidationError("too long")  # noqa: TRY301 -- the same message below
            check(link)
        except ValidationError as exc:
            raise ClaimError(
                _("“%(link)s” is not a web address (http or https, at most %(max)d characters).")
                % {"link": link[:100], "max": MAX_CLAIM_LINK_LENGTH}
            ) from exc
        cleaned.append(link)
    if len(cleaned) > MAX_CLAIM_LINKS:
        raise ClaimError(_("At most %(max)d links.") % {"max": MAX_CLAIM_LINKS})
    return cleaned


def project_claim_review_request(
    *, claim: ProjectClaim, actor: Any, evidence: str, links: list[str]
) -> ProjectClaim:
    """Ask an administrator to review the claim, with the claimant's evidence (a
    text and links). Asking again while it waits replaces the evidence; after a
    rejection, it asks for a new review. The administrators are told by mail."""
    if claim.user_id != getattr(actor, "pk", None):
        raise ClaimError(_("This claim is not yours."))
    if is_maintainer(actor, claim.project):
        raise ClaimError(_("You already maintain this project."))
    evidence = evidence.strip()
    if not evidence:
        raise ClaimError(_("Say how you take part in the project: the administrator reads it."))
    if len(evidence) > MAX_CLAIM_EVIDENCE:
        raise ClaimError(
            _("The evidence is too long: at most %(max)d characters.") % {"max": MAX_CLAIM_EVIDENCE}
        )
    cleaned = _clean_links(links)
    fields = {
        "evidence": evidence,
        "evidence_links": cleaned,
        "review_requested_at": timezone.now(),
        "reviewed_by": None,
        "reviewed_at": None,
        "review_reason": "",
    }
    with transaction.atomic():
        locked = ProjectClaim.objects.select_for_update().get(pk=claim.pk)
        if locked.status == ClaimStatus.VERIFIED:
            raise ClaimError(_("This claim is already verified."))
        if locked.status == ClaimStatus.REVIEW:
            for name, value in fields.items():
                setattr(locked, name, value)
            locked.save(update_fields=[*fields, "updated_at"])
            log_action(
                action="projects.claim.evidence_updated",
                obj=locked,
                actor=actor,
                data={"project": locked.project_id, "links": len(cleaned)},
            )
            return locked
        locked, _changed = transition(
            instance=locked,
            to_status=ClaimStatus.REVIEW,
            transitions=CLAIM_TRANSITIONS,
            action="projects.claim.review_requested",
            error_cls=ClaimError,
            actor=actor,
            fields=fields,
            data={"project": locked.project_id, "links": len(cleaned)},
        )
        staff = (
            get_user_model()
            .objects.filter(is_staff=True, is_active=True)
            .exclude(pk=actor.pk)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        mail_enqueue(
            template="projects/email/claim_review_requested",
            recipients=list(staff),
            context={"project": claim.project.name, "who": str(actor)},
            links={"url": ("admin:projects_projectclaim_review", [locked.pk])},
        )
    return locked


def _reviewable(claim: ProjectClaim, actor: Any, reason: str) -> str:
    """The reason, stripped, once the actor may review the claim."""
    if not getattr(actor, "is_staff", False):
        raise ClaimError(_("Only an administrator can review a claim."))
    if claim.user_id == getattr(actor, "pk", None):
        raise ClaimError(_("No one reviews their own claim."))
    reason = reason.strip()
    if not reason:
        raise ClaimError(_("Give the reason of your decision: the claimant reads it."))
    if len(reason) > MAX_CLAIM_REASON:
        raise ClaimError(
            _("The reason is too long: at most %(max)d characters.") % {"max": MAX_CLAIM_REASON}
        )
    return reason


def _not_in_review() -> ClaimError:
    return ClaimError(_("Only a claim awaiting review can be accepted or rejected."))


def project_claim_accept(*, claim: ProjectClaim, actor: Any, reason: str) -> Maintainership:
    """An administrator accepts a claim awaiting review: its user becomes a
    maintainer, is told by mail with the reason, and so are the other maintainers."""
    reason = _reviewable(claim, actor, reason)
    with transaction.atomic():
        locked = ProjectClaim.objects.select_for_update().select_related("project").get(pk=claim.pk)
        if locked.status != ClaimStatus.REVIEW:
            raise _not_in_review()
        now = timezone.now()
        maintainership = _claim_verified(
            claim=locked,
            actor=actor,
            method=ClaimMethod.REVIEW,
            fields={"reviewed_by": actor, "reviewed_at": now, "review_reason": reason},
        )
        mail_enqueue(
            template="projects/email/claim_accepted",
            recipients=[locked.user_id],
            context={"project": locked.project.name, "reason": reason},
            links={"url": ("projects:mine", [])},
        )
    return maintainership


def project_claim_reject(*, claim: ProjectClaim, actor: Any, reason: str) -> ProjectClaim:
    """An administrator rejects a claim awaiting review; its user is told why by mail."""
    reason = _reviewable(claim, actor, reason)
    with transaction.atomic():
        locked = ProjectClaim.objects.select_for_update().select_related("project").get(pk=claim.pk)
        if locked.status != ClaimStatus.REVIEW:
            raise _not_in_review()
        locked, _changed = transition(
            instance=locked,
            to_status=ClaimStatus.REJECTED,
            transitions=CLAIM_TRANSITIONS,
            action="projects.claim.rejected",
            error_cls=ClaimError,
            actor=actor,
            fields={"reviewed_by": actor, "reviewed_at": timezone.now(), "review_reason": reason},
            data={"project": locked.project_id, "reason": reason},
        )
        mail_enqueue(
            template="projects/email/claim_rejected",
            recipients=[locked.user_id],
            context={"project": locked.project.name, "reason": reason},
            links={"url": ("projects:claim", [locked.project.slug])},
        )
    return locked
