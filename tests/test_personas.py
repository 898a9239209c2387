"""Who sees what: every page of the foundation, for every persona."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PERSONAS = ["anonymous", "contributor", "maintainer", "seat_holder", "administrator", "outsider"]

# url -> expected status per persona (302 = sent to log in)
MATRIX: dict[str, dict[str, int]] = {
    "/": dict.fromkeys(PERSONAS, 200),
    "/projects/": dict.fromkeys(PERSONAS, 200),
    "/transparency/": dict.fromkeys(PERSONAS, 200),
    "/governance/": dict.fromkeys(PERSONAS, 200),
    "/contribute/": dict.fromkeys(PERSONAS, 200),
    "/contribute/me/": {**dict.fromkeys(PERSONAS, 200), "anonymous": 302},
    "/governance/portal/": {
        "anonymous": 302,
        "contributor": 403,
        "maintainer": 403,
        "seat_holder": 200,
        "administrator": 200,
        "outsider": 403,
    },
    "/admin/": {
        "anonymous": 302,
        "contributor": 302,
        "maintainer": 302,
        "seat_holder": 302,
        "administrator": 200,
        "outsider": 302,
    },
    "/admin/contributors/user/": {
        "anonymous": 302,
        "contributor": 302,
        "maintainer": 302,
        "seat_holder": 302,
        "administrator": 200,
        "outsider": 302,
    },
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("url", list(MATRIX))
def test_access_matrix(request: pytest.FixtureRequest, persona: str, url: str) -> None:
    client: Client = request.getfixturevalue(persona)
    response = client.get(url)
    assert response.status_code == MATRIX[url][persona], (persona, url)
    if response.status_code == 302:
        assert "/login/" in response["Location"]


def test_outsider_sees_no_private_data(
    outsider: Client, contributor_user: object, maintainer_user: object
) -> None:
    page = outsider.get("/en/contribute/me/").text
    assert "Alice Contributor" not in page
    assert "Bob&#x27;s project" not in page
    assert "You have not contributed yet." in page
    assert "Open the governance portal" not in page
    assert "Administration" not in outsider.get("/en/").text


def test_each_persona_sees_their_own_account(
    contributor: Client, maintainer: Client, seat_holder: Client, administrator: Client
) -> None:
    assert "Alice Contributor" in contributor.get("/en/contribute/me/").text
    assert "Bob&#x27;s project" in maintainer.get("/en/contribute/me/").text
    assert "Open the governance portal" in seat_holder.get("/en/contribute/me/").text
    admin_home = administrator.get("/en/").text
    assert 'href="/en/admin/"' in admin_home
