"""Journeys in a real headless Chromium against a live server."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

from contributors.models import User
from tests.browser import staff_log_in
from tests.factories import TEST_PASSWORD, ProjectFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_login_through_the_real_page(
    page: Any, contributor_user: User, screenshot_dir: Path
) -> None:
    page.goto("/en/accounts/login/")
    assert page.locator("h1").inner_text() == "Sign in"
    page.get_by_label("Email").fill(contributor_user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/en/")
    page.goto("/en/contribute/me/")
    heading = page.locator("h1")
    assert heading.inner_text() == "My account"
    assert heading.is_visible()
    shot = screenshot_dir / "my-account.png"
    page.screenshot(path=str(shot))
    assert png_size(shot) == (1280, 900)
    # The heading is really painted where the screenshot shows it.
    box = heading.bounding_box()
    assert box is not None
    assert 0 < box["y"] < 900
    assert box["width"] > 50


def test_staff_log_in_with_totp_and_switch_language(
    page: Any, administrator_user: User, admin_totp_secret: str, screenshot_dir: Path
) -> None:
    page.goto("/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "fr"
    staff_log_in(page, administrator_user, admin_totp_secret)
    page.goto("/admin/")
    assert page.locator("#site-name").inner_text() == "The Librery"
    page.screenshot(path=str(screenshot_dir / "admin.png"))

    page.goto("/projects/")
    assert page.locator("h1").inner_text() == "Projets"
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/en/projects/")
    assert page.locator("h1").inner_text() == "Projects"
    assert page.locator("html").get_attribute("lang") == "en"


def test_narrow_screen_has_no_horizontal_overflow(page: Any) -> None:
    ProjectFactory.create_batch(3, summary="A rather long description " * 4)
    page.set_viewport_size({"width": 360, "height": 800})
    for url in ("/", "/projects/", "/transparency/", "/accounts/login/"):
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, url
