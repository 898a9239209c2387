"""/robots.txt: crawlers read the public pages in both languages and leave
the account pages, the admin, the API, the webhook and the language switch."""

from __future__ import annotations

from urllib.robotparser import RobotFileParser

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_crawlers_keep_to_the_public_pages(anonymous: Client) -> None:
    response = anonymous.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    rules = RobotFileParser()
    rules.parse(response.text.splitlines())
    for public in (
        "/",
        "/en/",
        "/projects/inkscape/",
        "/en/transparency/",
        "/contribute/",
        "/governance/register/",
        "/transparency/runs/2026-03/document.json",
    ):
        assert rules.can_fetch("AnyBot", public), public
    for private in (
        "/accounts/login/?next=/contribute/pledge/%3Fproject%3Dinkscape",
        "/en/accounts/signup/",
        "/admin/",
        "/en/admin/funds/receipt/",
        "/api/v1/projects/?q=gis",
        "/webhooks/stripe/",
        "/i18n/setlang/",
    ):
        assert not rules.can_fetch("AnyBot", private), private
