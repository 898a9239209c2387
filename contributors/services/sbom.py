"""Uploading an SBOM: parsed, matched against the catalogue and stored
privately for the contributor it belongs to."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from contributors.enums import ContributorKind
from contributors.models import Contributor, Sbom, SbomProject, User
from contributors.sbom import sbom_parse
from contributors.selectors import contributors_of
from contributors.selectors_sbom import sbom_match
from contributors.services.common import ContributionError
from contributors.services.people import person_contributor_for
from librery.services import log_action

MAX_FILENAME = 200


def _person_of(user: User) -> Contributor:
    """The user's person contributor (created as on a first pledge, named publicly)."""
    existing = Contributor.objects.filter(user=user, kind=ContributorKind.PERSON).first()
    return existing or person_contributor_for(user=user)


def sbom_upload(*, user: User, contributor: Contributor | None, raw: bytes, filename: str) -> Sbom:
    """Store the SBOM `raw` for `contributor` (whom `user` gives as; None: the
    user themself) with the projects found in it. Raises `SbomError` (a file that
    is not a supported SBOM) or `ContributionError`; then nothing is stored. The
    same file twice is stored once."""
    if contributor is None:
        contributor = _person_of(user)
    elif not contributors_of(user).filter(pk=contributor.pk).exists():
        raise ContributionError(_("You do not act for this contributor."))
    parsed = sbom_parse(raw)
    existing = Sbom.objects.filter(contributor=contributor, sha256=parsed.sha256).first()
    if existing is not None:
        return existing
    matches = sbom_match(parsed.components)
    try:
        with transaction.atomic():
            sbom = Sbom.objects.create(
                contributor=contributor,
                uploaded_by=user,
                filename="".join(ch for ch in filename if ch.isprintable())[:MAX_FILENAME],
                format=parsed.format,
                spec_version=parsed.spec_version,
                application=parsed.application[:300],
                sha256=parsed.sha256,
                size_bytes=len(raw),
                content=raw,
                components=[c.as_json() for c in parsed.components],
            )
            SbomProject.objects.bulk_create(
                SbomProject(
                    sbom=sbom,
                    project=match.project,
                    components=len(match.components),
                    direct=match.direct,
                )
                for match in [*matches.matched, *matches.not_admitted]
            )
            log_action(
                action="contributors.sbom.uploaded",
                obj=sbom,
                actor=user,
                data={
                    "sha256": sbom.sha256,
                    "components": len(parsed.components),
                    "projects": len(matches.matched) + len(matches.not_admitted),
                },
            )
    except IntegrityError:  # the same file uploaded twice at once
        return Sbom.objects.get(contributor=contributor, sha256=parsed.sha256)
    return sbom
