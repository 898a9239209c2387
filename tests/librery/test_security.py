from __future__ import annotations

import re

import pytest
from django.test import Client

from demo import data as demo

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PUBLIC_PAGES = [
    "/",
    "/en/",
    "/projects/",
    "/contribute/",
    "/governance/",
    "/transparency/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_csp_without_unsafe_inline_and_no_inline_code(anonymous: Client, url: str) -> None:
    response = anonymous.get(url)
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    html = response.text
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None, "inline <script>"
    assert "<style" not in html
    assert re.search(r"\sstyle=", html) is None, "inline style attribute"
    assert re.search(r"\son[a-z]+=", html) is None, "inline event handler"


def test_nothing_fetched_from_outside(anonymous: Client) -> None:
    html = anonymous.get("/").text
    for src in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not src.startswith(("http://", "https://", "//")), src


def test_security_headers(anonymous: Client) -> None:
    response = anonymous.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(("url", "code"), [("/no-such-page/", 404), ("/en/no-such-page/", 404)])
def test_styled_error_pages(anonymous: Client, url: str, code: int) -> None:
    response = anonymous.get(url)
    assert response.status_code == code
    assert 'class="error-page"' in response.text
    assert "css/librery.css" in response.text


def test_styled_403_page(outsider: Client) -> None:
    response = outsider.get("/governance/portal/")
    assert response.status_code == 403
    assert "Vous ne pouvez pas ouvrir cette page" in response.text


@pytest.mark.parametrize("url", [*PUBLIC_PAGES, "/governance/register/", "/governance/meetings/"])
def test_page_titles_are_plain_text(anonymous: Client, url: str) -> None:
    html = anonymous.get(url).text
    title = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
    assert title is not None
    assert "<" not in title.group(1)
    assert title.group(1).strip().endswith("The Librery")


def test_register_title_stays_plain_with_ballots_in_progress(anonymous: Client) -> None:
    demo.demo_load()  # opens a motion and a round
    html = anonymous.get("/en/governance/register/").text
    assert "Ballots in progress" in html
    title = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
    assert title is not None
    assert title.group(1).strip() == "Decision register · The Librery"
