from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pytest_django.fixtures import SettingsWrapper

from contributors.models import User
from librery.models import LogEntry
from projects import services
from projects.enums import FetchStatus, MaintainerRole, ProjectStatus
from projects.fundingjson import ManifestError
from projects.models import (
    FundingEntity,
    FundingManifestFetch,
    Maintainership,
    Project,
    ProjectClaim,
)
from tests.factories import MaintainershipFactory, ProjectFactory
from tests.mail import mail_tasks
from tests.projects.conftest import (
    FUNDING_JSON_DIR,
    LocalServer,
    fetch_tasks,
    invalid_manifests,
    real_manifests,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
DDEV = FUNDING_JSON_DIR / "ddev__ddev.json"
URL = "/en/projects/manifest/"


@pytest.fixture
def loopback(settings: SettingsWrapper) -> None:
    settings.LIBRERY_FETCH_ALLOW_LOOPBACK = True


def test_all_real_manifests_import_and_twice_changes_nothing(
    outsider_user: User,
) -> None:
    expected = 0
    for path in real_manifests():
        result = services.funding_manifest_import(
            raw=path.read_bytes(),
            actor=outsider_user,
            manifest_url=f"https://x.test/{path.stem}/funding.json",
        )
        expected += len(json.loads(path.read_bytes())["projects"])
        assert result.created
    assert Project.objects.filter(source="funding.json").count() == expected
    assert FundingEntity.objects.count() == len(real_manifests())
    before = list(Project.objects.order_by("id").values())
    for path in real_manifests():
        again = services.funding_manifest_import(
            raw=path.read_bytes(),
            actor=outsider_user,
            manifest_url=f"https://x.test/{path.stem}/funding.json",
        )
        assert (again.created, again.updated) == ([], [])
    assert list(Project.objects.order_by("id").values()) == before


def test_imported_project_fields() -> None:
    result = services.funding_manifest_import(raw=DDEV.read_bytes(), actor=None)
    project = result.created[0]
    assert (project.name, project.slug, project.status) == ("DDEV", "ddev", ProjectStatus.PROPOSED)
    assert project.licences == ["Apache-2.0"]
    assert project.tags == ["development", "developer-tools", "web-development"]
    assert project.repository_url == "https://github.com/ddev/ddev"
    assert project.website_url == "https://ddev.com"
    assert project.description_en.startswith("Open-source web developer tool")
    assert result.entity.name == "DDEV Foundation"


@pytest.mark.parametrize("path", invalid_manifests(), ids=lambda p: p.name)
def test_invalid_manifests_change_nothing(path: Path) -> None:
    with pytest.raises(ManifestError) as caught:
        services.funding_manifest_import(raw=path.read_bytes(), actor=None)
    assert caught.value.problems[0].field.startswith("funding.")
    assert not Project.objects.exists()
    assert not FundingEntity.objects.exists()


def test_upload_through_the_page(maintainer: Client) -> None:
    upload = SimpleUploadedFile("funding.json", DDEV.read_bytes(), "application/json")
    response = maintainer.post(URL, {"file": upload})
    assert response.status_code == 200
    assert "1 created, 0 updated, 0 unchanged" in response.text
    assert Project.objects.filter(slug="ddev").exists()


def test_bad_upload_lists_every_problem_in_the_users_language(maintainer: Client) -> None:
    raw = (FUNDING_JSON_DIR / "invalid-NativePHP__nativephp.com.json").read_bytes()
    response = maintainer.post(URL, {"file": SimpleUploadedFile("funding.json", raw)})
    assert response.status_code == 400
    assert "The manifest has 8 problems; nothing was changed." in response.text
    assert "funding.plans[7].channels[0]" in response.text
    french = maintainer.post(
        "/projects/manifest/", {"file": SimpleUploadedFile("funding.json", b"{nope")}
    )
    assert french.status_code == 400
    assert 'lang="fr"' in french.text
    assert not Project.objects.filter(source="funding.json").exists()


def test_fetch_by_url_from_a_local_server(
    maintainer: Client,
    local_server: LocalServer,
    loopback: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    url = local_server.serve("/funding.json", DDEV.read_bytes())
    with fetch_tasks() as queued, django_capture_on_commit_callbacks(execute=True):
        response = maintainer.post(URL, {"url": url})
    fetch = FundingManifestFetch.objects.get()
    assert queued == [{"fetch_id": fetch.pk}]
    assert response.status_code == 302
    assert response["Location"] == f"/en/projects/manifest/fetches/{fetch.pk}/"
    page = maintainer.get(response["Location"])
    assert page.status_code == 200
    assert "Manifest of DDEV Foundation imported: 1 created, 0 updated, 0 unchanged." in page.text
    assert 'http-equiv="refresh"' not in page.text
    assert (fetch.status, fetch.error) == (FetchStatus.SUCCEEDED, "")
    assert FundingEntity.objects.get().manifest_url == url


def test_the_fetch_page_shows_progress_until_the_task_has_run(
    maintainer: Client, maintainer_user: User, local_server: LocalServer, loopback: None
) -> None:
    url = local_server.serve("/funding.json", DDEV.read_bytes())
    response = maintainer.post(URL, {"url": url})  # not committed: the task waits
    fetch = FundingManifestFetch.objects.get()
    page = maintainer.get(response["Location"])
    assert "Fetching the manifest… This page refreshes itself until it is done." in page.text
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert local_server.hits == []
    now = timezone.now()
    assert services.manifest_fetch_run(fetch_id=fetch.pk, now=now, allow_loopback=True).status == (
        FetchStatus.SUCCEEDED
    )
    # Idempotent: running it again does nothing more.
    again = services.manifest_fetch_run(fetch_id=fetch.pk, now=now, allow_loopback=True)
    assert again.status == FetchStatus.SUCCEEDED
    assert local_server.hits == ["/funding.json"]
    assert Project.objects.filter(source="funding.json").count() == 1
    assert Client().get(response["Location"]).status_code == 302  # sign in first


def test_another_users_fetch_page_is_not_found(
    maintainer: Client, outsider: Client, local_server: LocalServer
) -> None:
    url = local_server.serve("/funding.json", DDEV.read_bytes())
    response = maintainer.post(URL, {"url": url})
    assert outsider.get(response["Location"]).status_code == 404


def test_private_network_url_is_refused(
    maintainer: Client, local_server: LocalServer, django_capture_on_commit_callbacks: Any
) -> None:
    url = local_server.serve("/funding.json", DDEV.read_bytes())
    with fetch_tasks(), django_capture_on_commit_callbacks(execute=True):
        response = maintainer.post(URL, {"url": url})
    page = maintainer.get(response["Location"])
    assert "private or reserved network" in page.text
    assert FundingManifestFetch.objects.get().status == FetchStatus.FAILED
    assert local_server.hits == []
    assert not FundingEntity.objects.exists()


def test_a_manifest_that_is_not_valid_lists_its_problems_on_the_fetch_page(
    maintainer: Client,
    local_server: LocalServer,
    loopback: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    url = local_server.serve("/funding.json", b"[" * 100 + b"]" * 100)
    with fetch_tasks(), django_capture_on_commit_callbacks(execute=True):
        response = maintainer.post(URL, {"url": url})
    page = maintainer.get(response["Location"])
    assert "The manifest has 1 problem; nothing was changed." in page.text
    assert "The manifest is nested too deeply: at most 64 levels." in page.text
    assert not FundingEntity.objects.exists()


def test_an_address_that_is_not_a_manifests_is_refused_at_once(maintainer: Client) -> None:
    response = maintainer.post(URL, {"url": "https://example.org/other.json"})
    assert response.status_code == 400
    assert "A manifest&#x27;s address ends in /funding.json." in response.text
    assert not FundingManifestFetch.objects.exists()


def test_manifest_page_needs_sign_in(anonymous: Client) -> None:
    assert anonymous.get(URL).status_code == 302


def _imported(local_server: LocalServer, extra: bytes = b"") -> tuple[Project, str]:
    url = local_server.serve("/funding.json", DDEV.read_bytes())
    result = services.funding_manifest_import(raw=DDEV.read_bytes(), actor=None, manifest_url=url)
    return result.created[0], url


def test_claim_with_the_token_in_the_manifest(
    outsider: Client,
    outsider_user: User,
    local_server: LocalServer,
    loopback: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    project, _ = _imported(local_server)
    existing = MaintainershipFactory.create(project=project, role=MaintainerRole.OWNER)
    page = outsider.get(f"/en/projects/{project.slug}/claim/")
    token = ProjectClaim.objects.get(user=outsider_user).token
    assert token in page.text
    with fetch_tasks(), django_capture_on_commit_callbacks(execute=True):
        refused = outsider.post(f"/en/projects/{project.slug}/claim/")
    assert refused.status_code == 302
    failed = outsider.get(refused["Location"])
    assert failed.status_code == 200
    assert "The token was not found" in failed.text
    data = json.loads(DDEV.read_bytes())
    data["librery"] = {"claim": token}
    local_server.serve("/funding.json", json.dumps(data).encode())
    with mail_tasks(), fetch_tasks(), django_capture_on_commit_callbacks(execute=True):
        started = outsider.post(f"/en/projects/{project.slug}/claim/")
    fetch = FundingManifestFetch.objects.filter(claim__isnull=False).latest("pk")
    assert started["Location"] == f"/en/projects/{project.slug}/claim/fetches/{fetch.pk}/"
    done = outsider.get(started["Location"])
    assert done.status_code == 302
    assert done["Location"] == "/en/projects/mine/"
    membership = Maintainership.objects.get(project=project, user=outsider_user)
    assert membership.role == MaintainerRole.MAINTAINER
    assert [m.to for m in mail.outbox] == [[existing.user.email]]
    assert LogEntry.objects.filter(action="projects.claim.verified").count() == 1


def test_claim_through_the_well_known_file(
    outsider_user: User, local_server: LocalServer, loopback: None
) -> None:
    data = json.loads(DDEV.read_bytes())
    base = local_server.base
    data["projects"][0]["webpageUrl"] = {
        "url": "https://ddev.com",
        "wellKnown": "https://ddev.com/.well-known/funding-manifest-urls",
    }
    raw = json.dumps(data).encode()
    url = local_server.serve("/funding.json", raw)
    project = services.funding_manifest_import(raw=raw, actor=None, manifest_url=url).created[0]
    claim = services.project_claim_start(project=project, actor=outsider_user)
    # The wellKnown named in the manifest is on ddev.com; point the project's at our server.
    data["projects"][0]["repositoryUrl"] = {
        "url": f"{base}/ddev",
        "wellKnown": f"{base}/.well-known/funding-manifest-urls",
    }
    local_server.serve("/funding.json", json.dumps(data).encode())
    local_server.serve("/.well-known/funding-manifest-urls", f"{url}\n{claim.token}\n".encode())
    membership = services.project_claim_verify(
        claim=claim, actor=outsider_user, allow_loopback=True
    )
    assert membership.role == MaintainerRole.OWNER


def test_claims_need_no_published_manifest(outsider: Client, maintainer: Client) -> None:
    """Every project can be claimed (an administrator's review at least; see
    test_claims.py), except by its own maintainers."""
    project = ProjectFactory.create()
    response = outsider.get(f"/en/projects/{project.slug}/claim/")
    assert response.status_code == 200
    assert ProjectClaim.objects.count() == 1
    mine = Maintainership.objects.get().project
    refused = maintainer.get(f"/en/projects/{mine.slug}/claim/")
    assert refused["Location"] == f"/en/projects/{mine.slug}/"
    assert ProjectClaim.objects.count() == 1


def test_admitted_projects_expose_their_funding_json(anonymous: Client) -> None:
    project = ProjectFactory.create(slug="qgis", status=ProjectStatus.ADMITTED)
    response = anonymous.get("/projects/qgis/funding.json")
    assert response.status_code == 200
    body = response.json()
    assert body["projects"][0]["guid"] == "qgis"
    assert body["funding"]["channels"][0]["guid"] == "the-librery"
    assert anonymous.get("/en/projects/qgis/funding.json").json() == body
    project.status = ProjectStatus.PROPOSED
    project.save()
    assert anonymous.get("/projects/qgis/funding.json").status_code == 404


def test_api_imports_a_manifest_and_reports_problems(maintainer: Client, anonymous: Client) -> None:
    upload = SimpleUploadedFile("funding.json", DDEV.read_bytes(), "application/json")
    response = maintainer.post("/api/v1/projects/manifests/", {"file": upload})
    assert response.status_code == 200
    assert response.json() == {
        "entity": "DDEV Foundation",
        "created": ["ddev"],
        "updated": [],
        "unchanged": [],
    }
    bad = maintainer.post(
        "/api/v1/projects/manifests/",
        {"file": SimpleUploadedFile("funding.json", b'{"entity": 1}')},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 400
    with translation.override("en"):  # the API answers in the Accept-Language
        expected = _("Wrong type: expected %(type)s.") % {"type": _("object")}
    assert {"field": "entity", "message": expected} in bad.json()["problems"]
    private = maintainer.post(
        "/api/v1/projects/manifests/",
        {"url": "http://10.0.0.1/funding.json"},
        content_type="application/json",
    )
    assert private.status_code == 400
    assert private.json()["problems"][0]["field"] == "url"
    assert anonymous.post("/api/v1/projects/manifests/", {}).status_code in {401, 403}


def test_the_claim_page_shows_the_verification_until_it_has_run(
    outsider: Client, outsider_user: User, maintainer: Client, local_server: LocalServer
) -> None:
    project, _ = _imported(local_server)
    started = outsider.post(f"/en/projects/{project.slug}/claim/")  # not committed: waits
    fetch = FundingManifestFetch.objects.get()
    assert (fetch.claim, fetch.status) == (ProjectClaim.objects.get(), FetchStatus.PENDING)
    assert started["Location"] == f"/en/projects/{project.slug}/claim/fetches/{fetch.pk}/"
    page = outsider.get(started["Location"])
    assert page.status_code == 200
    assert "Verifying your claim… This page refreshes itself until it is done." in page.text
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert f'action="/en/projects/{project.slug}/claim/"' in page.text
    assert maintainer.get(started["Location"]).status_code == 404
    assert local_server.hits == []
    assert not Maintainership.objects.filter(user=outsider_user).exists()


def test_a_fetch_whose_worker_died_fails_when_its_task_comes_back(
    maintainer_user: User, local_server: LocalServer
) -> None:
    url = local_server.serve("/funding.json", DDEV.read_bytes())
    with translation.override("fr"):  # the language of the person who asked
        fetch = services.manifest_fetch_request(url=url, actor=maintainer_user)
    FundingManifestFetch.objects.filter(pk=fetch.pk).update(status=FetchStatus.RUNNING)
    fetch.refresh_from_db()
    soon = fetch.updated_at + services.FETCH_STALE_AFTER
    # Running, and not for long: another worker has it; nothing is done.
    left = services.manifest_fetch_run(fetch_id=fetch.pk, now=soon, allow_loopback=True)
    assert (left.status, left.error) == (FetchStatus.RUNNING, "")
    # Running for longer than any fetch takes: its worker died.
    later = soon + timedelta(seconds=1)
    with translation.override("en"):  # the worker's language does not matter
        failed = services.manifest_fetch_run(fetch_id=fetch.pk, now=later, allow_loopback=True)
    assert failed.status == FetchStatus.FAILED
    assert failed.error == "La récupération a été interrompue ; relancez-la."
    assert local_server.hits == []
    assert not FundingEntity.objects.exists()
