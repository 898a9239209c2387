"""`/fr/…` (the default language's prefix, which its pages do not have) is sent
for good to the page without it, and never to another site."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("asked", "sent_to"),
    [
        ("/fr/", "/"),
        ("/fr/projects/", "/projects/"),
        ("/fr/projects/?q=inkscape&sort=funded", "/projects/?q=inkscape&sort=funded"),
        ("/fr//evil.example/", "/evil.example/"),
        ("/fr/\\evil.example/", "/evil.example/"),
        ("/fr/%09/evil.example/", "/"),
    ],
)
def test_the_french_prefix_leads_to_the_page_without_it(
    client: Client, asked: str, sent_to: str
) -> None:
    response = client.get(asked)
    assert response.status_code == 301
    assert response["Location"] == sent_to


def test_the_page_it_leads_to_is_french(client: Client) -> None:
    response = client.get("/fr/projects/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [("/projects/", 301)]
    assert '<html lang="fr"' in response.content.decode()


def test_only_reading_is_redirected(client: Client) -> None:
    assert client.post("/fr/contribute/pledge/").status_code == 405
