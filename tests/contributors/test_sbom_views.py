"""The "Earmark from an SBOM" pages (issue 15): upload, matches, proposal,
the pledge form and the pledge change form prefilled, privacy, bad input."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from contributors import services
from contributors.enums import PledgeFrequency, PledgeStatus
from contributors.models import Pledge, Sbom, User
from tests.contributors.sbom_catalogue import (
    ASVS,
    BITCASTER,
    FLASK,
    person,
    sbom_bytes,
    seed_catalogue,
)
from tests.factories import UserFactory
from tests.factories.contributors import EarmarkFactory, MembershipFactory, PledgeFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
UPLOAD_URL = "/en/contribute/sbom/"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _upload(client: Client, name: str, url: str = UPLOAD_URL, **data: str) -> Any:
    file = SimpleUploadedFile(name, sbom_bytes(name), "application/json")
    return client.post(url, {"pay_as": "me", "file": file, **data})


def test_upload_then_matches_proposal_and_the_pledge_form_prefilled(contributor, contributor_user):
    catalogue = seed_catalogue()
    assert contributor.get(UPLOAD_URL).status_code == 200
    response = _upload(contributor, ASVS)
    sbom = Sbom.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/en/contribute/sbom/{sbom.pk}/"
    assert sbom.contributor.user == contributor_user
    page = contributor.get(response["Location"] + "?mode=equal").content.decode()
    for name in ("Django", "Django REST framework", "GitHub Actions", "CodeQL Action", "Pillow"):
        assert name in page
    assert "3 projects can receive your earmarks" in page
    assert "17 components not found in the catalogue" in page
    assert f'href="/en/contribute/pledge/?sbom={sbom.pk}&amp;mode=equal"' in page
    form = contributor.get(f"/en/contribute/pledge/?sbom={sbom.pk}&mode=equal").content.decode()
    assert f'<option value="{catalogue["django"].pk}" selected>' in form
    assert 'name="share_1" value="16,67"' in form
    assert 'name="share_3" value="16,66"' in form
    response = contributor.post(
        f"/en/contribute/pledge/?sbom={sbom.pk}&mode=equal",
        {
            "pay_as": "me",
            "visibility": "named",
            "frequency": "monthly",
            "amount": "100",
            "payment_method": "bank_transfer",
            "token": str(uuid.uuid4()),
            "project_1": str(catalogue["django"].pk),
            "share_1": "16,67",
            "project_2": str(catalogue["drf"].pk),
            "share_2": "16,67",
            "project_3": str(catalogue["actions"].pk),
            "share_3": "16,66",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    pledge = Pledge.objects.get()
    assert pledge.sbom == sbom
    assert sorted(pledge.earmarks.values_list("project__name", "share_bp")) == [
        ("Django", 1667),
        ("Django REST framework", 1667),
        ("GitHub Actions", 1666),
    ]


def test_a_newer_sbom_proposes_the_change_of_a_monthly_pledge():
    catalogue = seed_catalogue()
    membership = MembershipFactory.create()
    organisation, member = membership.contributor, membership.user
    client = _client(member)
    pledge = PledgeFactory.create(
        contributor=organisation, frequency=PledgeFrequency.MONTHLY, status=PledgeStatus.ACTIVE
    )
    EarmarkFactory.create(pledge=pledge, project=catalogue["django"], share_bp=2000)
    url = f"{UPLOAD_URL}?pledge={pledge.pk}"
    page = client.get(url).content.decode()
    assert f'<option value="{organisation.pk}" selected>' in page
    response = _upload(client, BITCASTER, url=url, pay_as=str(organisation.pk))
    sbom = Sbom.objects.get()
    assert sbom.contributor == organisation
    assert response["Location"] == f"/en/contribute/sbom/{sbom.pk}/?pledge={pledge.pk}"
    page = client.get(response["Location"] + "&mode=equal").content.decode()
    change_url = f"/en/contribute/pledges/{pledge.pk}/sbom/{sbom.pk}/?mode=equal"
    assert f'href="{change_url}"' in page
    change = client.get(change_url).content.decode()
    assert 'name="share_1" value="10"' in change
    assert 'name="amount" value="50,00"' in change
    form = {"amount": "50"}
    for row, key in enumerate(("aiohttp", "django", "drf", "requests", "urllib3"), start=1):
        form[f"project_{row}"] = str(catalogue[key].pk)
        form[f"share_{row}"] = "10"
    response = client.post(change_url, form)
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.sbom == sbom
    assert pledge.earmarks.count() == 5
    # A newer SBOM shows the difference with what the pledge earmarks now.
    response = _upload(client, FLASK, url=url, pay_as=str(organisation.pk))
    newer = Sbom.objects.get(pk__gt=sbom.pk)
    content = client.get(
        f"/en/contribute/sbom/{newer.pk}/?pledge={pledge.pk}&mode=equal"
    ).content.decode()
    assert 'id="sbom-newer"' in content
    assert "Now" in content


def test_bad_files_are_refused_with_a_message_and_nothing_stored(contributor, settings):
    bad = SimpleUploadedFile("bom.xml", b"<bom/>", "text/xml")
    response = contributor.post(UPLOAD_URL, {"pay_as": "me", "file": bad})
    assert response.status_code == 400
    assert "The file is not JSON." in response.content.decode()
    huge = SimpleUploadedFile("bom.json", b" " * (5 * 1024 * 1024 + 1), "application/json")
    response = contributor.post(UPLOAD_URL, {"pay_as": "me", "file": huge})
    assert response.status_code in {400, 413}
    assert "at most 5" in response.content.decode()
    response = contributor.post(UPLOAD_URL, {"pay_as": "me"}, CONTENT_LENGTH=str(6 * 1024 * 1024))
    assert response.status_code == 413
    assert Sbom.objects.count() == 0


def test_an_sbom_is_private(contributor, contributor_user, outsider, administrator):
    seed_catalogue()
    _upload(contributor, ASVS)
    sbom = Sbom.objects.get()
    for path in (f"/en/contribute/sbom/{sbom.pk}/", f"/en/contribute/sbom/{sbom.pk}/file/"):
        assert outsider.get(path).status_code == 404
        assert contributor.get(path).status_code == 200
    assert contributor.get(f"/en/contribute/sbom/{sbom.pk}/file/").content == sbom_bytes(ASVS)
    assert outsider.get(f"/en/contribute/pledge/?sbom={sbom.pk}").status_code == 404
    assert outsider.get(f"/en/contribute/sbom/{sbom.pk}/?pledge=x").status_code == 404
    # Digits to str.isdigit() that int() refuses, and more digits than int() reads:
    # a page that is not there, not a server error.
    for wrong in ("²", "\u0661", "9" * 5000):
        assert contributor.get(f"/en/contribute/pledge/?sbom={wrong}").status_code == 404
        assert contributor.get(f"{UPLOAD_URL}?pledge={wrong}").status_code == 404
    other = PledgeFactory.create()
    assert contributor.get(f"/en/contribute/sbom/{sbom.pk}/?pledge={other.pk}").status_code == 404
    mine = PledgeFactory.create(contributor=UserFactory.create().contributors.create(kind="person"))
    assert contributor.get(f"/en/contribute/pledges/{mine.pk}/sbom/{sbom.pk}/").status_code == 404
    assert contributor.get("/en/contribute/pledge/?sbom=x").status_code == 404
    assert administrator.get(f"/en/contribute/sbom/{sbom.pk}/").status_code in {200, 302}


def test_aggregates_on_the_project_page_and_the_transparency_page(anonymous):
    catalogue = seed_catalogue()
    (first, first_user), (second, second_user) = person(), person()
    services.sbom_upload(user=first_user, contributor=first, raw=sbom_bytes(ASVS), filename="")
    services.sbom_upload(user=first_user, contributor=first, raw=sbom_bytes(FLASK), filename="")
    services.sbom_upload(user=second_user, contributor=second, raw=sbom_bytes(FLASK), filename="")
    page = anonymous.get(f"/en/projects/{catalogue['actions'].slug}/").content.decode()
    assert "In the SBOMs of 2 contributors" in page
    page = anonymous.get(f"/en/projects/{catalogue['django'].slug}/").content.decode()
    assert "In the SBOM of 1 contributor" in page
    page = anonymous.get(f"/en/projects/{catalogue['qgis'].slug}/").content.decode()
    assert 'id="project-sbom-contributors"' not in page
    page = anonymous.get("/en/transparency/").content.decode()
    start = page.index('id="depended-upon"')
    table = page[start : page.index("</section>", start)]
    order = [table.index(name) for name in ("GitHub Actions", "Requests", "urllib3", "CodeQL")]
    assert order == sorted(order)
    assert first.name not in table  # counts only, never who
    assert second.name not in table
