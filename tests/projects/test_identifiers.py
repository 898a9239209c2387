"""Project identifiers (issue 15): package URLs, purl prefixes and repositories
normalised to keys, declared by maintainers, kept from the repository address,
and matched in one query."""

from __future__ import annotations

import pytest

from projects import services
from projects.enums import IdentifierKind, IdentifierSource
from projects.identifiers import (
    IdentifierError,
    forge_repository_key,
    prefix_keys,
    purl_key,
    purl_prefix_key,
    purl_repository_key,
    repository_key,
)
from projects.models import ProjectIdentifier
from projects.selectors_identifiers import identifier_hits
from tests.factories import MaintainershipFactory, ProjectFactory, UserFactory
from tests.paths import DATA

pytestmark = [pytest.mark.django_db]


@pytest.mark.parametrize(
    ("purl", "key"),
    [
        ("pkg:pypi/Django@5.2.1", "pypi/django"),
        ("pkg:pypi/Typing_Extensions@4.7.1", "pypi/typing-extensions"),
        ("pkg:npm/%40angular/core@17.0.0?foo=bar#sub", "npm/@angular/core"),
        (
            "pkg:maven/org.apache.commons/commons-lang3@3.12.0",
            "maven/org.apache.commons/commons-lang3",
        ),
        ("pkg:github/actions/checkout@v4", "github/actions/checkout"),
        ("pkg:golang/github.com/stretchr/testify@v1.8.4", "golang/github.com/stretchr/testify"),
    ],
)
def test_purl_key(purl, key):
    assert purl_key(purl) == key


def test_purl_key_refuses_what_is_not_a_purl():
    with pytest.raises(IdentifierError):
        purl_key("django")


def test_purl_prefix_and_prefix_keys():
    assert purl_prefix_key("pkg:npm/%40angular/*") == "npm/@angular/"
    assert purl_prefix_key("pkg:github/actions/") == "github/actions/"
    assert prefix_keys("npm/@angular/core") == ["npm/", "npm/@angular/"]
    assert prefix_keys("pypi/django") == ["pypi/"]


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://github.com/Django/django", "github.com/django/django"),
        ("https://www.github.com/django/django.git/", "github.com/django/django"),
        ("https://github.com/django/django/tree/main/docs", "github.com/django/django"),
        ("git+https://github.com/aio-libs/aiohttp.git", "github.com/aio-libs/aiohttp"),
        ("git@github.com:github/codeql-action.git", "github.com/github/codeql-action"),
        ("https://gitlab.com/group/sub/project/-/tree/main", "gitlab.com/group/sub/project"),
        ("https://git.example.org/team/tool", "git.example.org/team/tool"),
        ("ftp://example.org/x", None),
        ("https://example/x", None),
        ("https://github.com/", None),
        ("NOASSERTION", None),
    ],
)
def test_repository_key(url, key):
    assert repository_key(url) == key


def test_forge_and_purl_repository_keys():
    assert (
        forge_repository_key("https://github.com/aio-libs/aiohttp") == "github.com/aio-libs/aiohttp"
    )
    assert forge_repository_key("https://docs.djangoproject.com/en/5.2/") is None
    assert forge_repository_key("not a url") is None
    assert purl_repository_key("pkg:github/github/codeql-action/init@v2") == (
        "github.com/github/codeql-action"
    )
    assert purl_repository_key("pkg:golang/github.com/stretchr/testify@v1") == (
        "github.com/stretchr/testify"
    )
    assert (
        purl_repository_key("pkg:pypi/foo@1?vcs_url=git%2Bhttps://gitlab.com/a/foo.git")
        == "gitlab.com/a/foo"
    )
    assert purl_repository_key("pkg:pypi/django@5") is None
    assert purl_repository_key("nonsense") is None


def test_identifier_parse():
    assert services.identifier_parse("pkg:pypi/Django") == (IdentifierKind.PURL, "pypi/django")
    assert services.identifier_parse(" pkg:npm/%40angular/* ") == (
        IdentifierKind.PURL_PREFIX,
        "npm/@angular/",
    )
    assert services.identifier_parse("https://github.com/django/django") == (
        IdentifierKind.REPOSITORY,
        "github.com/django/django",
    )
    with pytest.raises(services.IdentifierInputError, match="not a valid package URL"):
        services.identifier_parse("pkg:nonsense")
    with pytest.raises(services.IdentifierInputError, match="neither a package URL"):
        services.identifier_parse("django")


def test_maintainer_declares_identifiers_and_bad_lines_change_nothing():
    maintainership = MaintainershipFactory.create()
    project, user = maintainership.project, maintainership.user
    services.project_identifiers_declare(
        project=project,
        actor=user,
        lines=["pkg:pypi/Django", "", "pkg:github/django/*", "https://github.com/django/django"],
    )
    assert services.identifiers_declared(project=project) == [
        "pkg:pypi/django",
        "pkg:github/django/*",
        "https://github.com/django/django",
    ]
    with pytest.raises(services.IdentifierInputError, match="“django”"):
        services.project_identifiers_declare(project=project, actor=user, lines=["django"])
    with pytest.raises(services.IdentifierInputError, match="At most"):
        services.project_identifiers_declare(
            project=project, actor=user, lines=[f"pkg:pypi/p{n}" for n in range(51)]
        )
    with pytest.raises(services.IdentifierInputError, match="maintainers"):
        services.project_identifiers_declare(
            project=project, actor=UserFactory.create(), lines=["pkg:pypi/x"]
        )
    assert ProjectIdentifier.objects.filter(project=project).count() == 3
    # The same set again changes nothing; an empty one removes them.
    services.project_identifiers_declare(
        project=project,
        actor=user,
        lines=["https://github.com/django/django", "pkg:pypi/django", "pkg:github/django/*"],
    )
    services.project_identifiers_declare(project=project, actor=user, lines=[])
    assert not ProjectIdentifier.objects.filter(project=project).exists()


def test_the_repository_address_is_kept_as_an_identifier():
    maintainership = MaintainershipFactory.create()
    project, user = maintainership.project, maintainership.user
    services.project_update(
        project=project, actor=user, values={"repository_url": "https://github.com/Org/Tool.git"}
    )
    assert list(project.identifiers.values_list("kind", "value", "source")) == [
        (IdentifierKind.REPOSITORY, "github.com/org/tool", IdentifierSource.REPOSITORY_URL)
    ]
    services.project_update(
        project=project, actor=user, values={"repository_url": "https://gitlab.com/org/tool"}
    )
    assert list(project.identifiers.values_list("value", flat=True)) == ["gitlab.com/org/tool"]
    services.project_update(project=project, actor=user, values={"repository_url": ""})
    assert not project.identifiers.exists()


def test_identifier_hits_is_one_query(django_assert_num_queries):
    django, other = ProjectFactory.create(name="Django"), ProjectFactory.create(name="Other")
    ProjectIdentifier.objects.bulk_create(
        [
            ProjectIdentifier(
                project=django, kind="purl", value="pypi/django", source="maintainer"
            ),
            ProjectIdentifier(
                project=django,
                kind="repository",
                value="github.com/django/django",
                source="repository_url",
            ),
            ProjectIdentifier(
                project=django,
                kind="repository",
                value="github.com/django/django",
                source="maintainer",
            ),
            ProjectIdentifier(
                project=other, kind="purl_prefix", value="npm/@other/", source="maintainer"
            ),
            ProjectIdentifier(project=other, kind="purl", value="pypi/unused", source="maintainer"),
        ]
    )
    purls = {f"pypi/p{n}" for n in range(5000)} | {"pypi/django"}
    with django_assert_num_queries(1):
        hits = identifier_hits(
            purl_keys=purls,
            prefix_keys={"npm/", "npm/@other/"},
            repository_keys={"github.com/django/django"},
        )
    assert [(h.kind, h.value, h.project.name) for h in hits] == [
        ("purl", "pypi/django", "Django"),
        ("repository", "github.com/django/django", "Django"),
        ("purl_prefix", "npm/@other/", "Other"),
    ]
    with django_assert_num_queries(0):
        assert identifier_hits(purl_keys=[], prefix_keys=[], repository_keys=[]) == []


def test_maintainers_edit_identifiers_on_the_project_form(maintainer, maintainer_user):
    project = maintainer_user.maintainerships.get().project
    url = f"/en/projects/{project.slug}/edit/"
    form = {
        "summary": "",
        "summary_en": "",
        "description": "",
        "description_en": "",
        "repository_url": "https://github.com/bob/project",
        "website_url": "",
        "licences": "MIT",
        "tags": "",
        "identifiers": "pkg:pypi/bob-project\r\npkg:npm/%40bob/*\r\n",
    }
    assert maintainer.post(url, form).status_code == 302
    assert sorted(project.identifiers.values_list("kind", "value", "source")) == [
        ("purl", "pypi/bob-project", "maintainer"),
        ("purl_prefix", "npm/@bob/", "maintainer"),
        ("repository", "github.com/bob/project", "repository_url"),
    ]
    page = maintainer.get(url).content.decode()
    assert "pkg:pypi/bob-project\npkg:npm/@bob/*" in page
    response = maintainer.post(url, {**form, "summary": "Changed", "identifiers": "bob"})
    assert response.status_code == 400
    assert "is neither a package URL" in response.content.decode()
    project.refresh_from_db()
    assert project.summary == ""  # nothing changed
    assert project.identifiers.filter(source="maintainer").count() == 2


def test_a_funding_json_import_keeps_the_repository_url_as_an_identifier():
    result = services.funding_manifest_import(
        raw=(DATA / "funding-json" / "ddev__ddev.json").read_bytes(), actor=None
    )
    (project,) = result.created
    assert list(project.identifiers.values_list("kind", "value", "source")) == [
        ("repository", "github.com/ddev/ddev", "repository_url")
    ]
