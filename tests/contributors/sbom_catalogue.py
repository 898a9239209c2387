"""A catalogue seeded so that some components of the real SBOMs in
tests/data/sbom/ match (issue 15), and the SBOM files' bytes."""

from __future__ import annotations

from contributors.models import Contributor, User
from projects.enums import IdentifierKind, IdentifierSource, ProjectStatus
from projects.identifiers import purl_key, purl_prefix_key, repository_key
from projects.models import Project, ProjectIdentifier
from tests.factories import ContributorFactory, ProjectFactory
from tests.paths import DATA

SBOMS = DATA / "sbom"
ASVS = "Santandersecurityresearch__asvs.bom.json"
YOUTUBE = "DoIT-Artificial-Intelligence__youtube-to-docs.sbom.cdx.json"
BITCASTER = "bitcaster-io__bitcaster.spdx.json"
FLASK = "LYY-Z__flask.spdx.json"


def sbom_bytes(name: str) -> bytes:
    return (SBOMS / name).read_bytes()


def declare(project: Project, *identifiers: str) -> Project:
    """Identifiers as a maintainer declares them (`pkg:…`, `pkg:…/*`, `https://…`)."""
    for text in identifiers:
        if text.startswith("pkg:") and text.endswith("/*"):
            kind, value = IdentifierKind.PURL_PREFIX, purl_prefix_key(text)
        elif text.startswith("pkg:"):
            kind, value = IdentifierKind.PURL, purl_key(text)
        else:
            kind, value = IdentifierKind.REPOSITORY, repository_key(text) or ""
        ProjectIdentifier.objects.create(
            project=project, kind=kind, value=value, source=IdentifierSource.MAINTAINER
        )
    return project


def seed_catalogue() -> dict[str, Project]:
    """Admitted: Django, Django REST framework, GitHub's actions (a purl prefix),
    Requests, urllib3, aiohttp (by its repository); not admitted: CodeQL's
    action (proposed, by repository) and Pillow (suspended); QGIS in no SBOM."""
    admitted = ProjectStatus.ADMITTED
    return {
        "django": declare(ProjectFactory.create(name="Django", status=admitted), "pkg:pypi/Django"),
        "drf": declare(
            ProjectFactory.create(name="Django REST framework", status=admitted),
            "pkg:pypi/djangorestframework",
        ),
        "actions": declare(
            ProjectFactory.create(name="GitHub Actions", status=admitted), "pkg:github/actions/*"
        ),
        "requests": declare(
            ProjectFactory.create(name="Requests", status=admitted), "pkg:pypi/requests"
        ),
        "urllib3": declare(
            ProjectFactory.create(name="urllib3", status=admitted), "pkg:pypi/urllib3"
        ),
        "aiohttp": declare(
            ProjectFactory.create(name="aiohttp", status=admitted),
            "https://github.com/aio-libs/aiohttp",
        ),
        "codeql": declare(
            ProjectFactory.create(name="CodeQL Action", status=ProjectStatus.PROPOSED),
            "git@github.com:github/codeql-action.git",
        ),
        "pillow": declare(
            ProjectFactory.create(name="Pillow", status=ProjectStatus.SUSPENDED),
            "pkg:pypi/pillow",
        ),
        "qgis": declare(
            ProjectFactory.create(name="QGIS", status=admitted), "https://github.com/qgis/QGIS"
        ),
    }


def person() -> tuple[Contributor, User]:
    """A person contributor and the user who gives as them."""
    contributor = ContributorFactory.create()
    assert contributor.user is not None
    return contributor, contributor.user
