"""Steps that several Chromium journeys walk: counting page loads, and a
newcomer who signs up from a project's "Support this project" button."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail

from tests.factories import TEST_PASSWORD
from tests.mail import mail_tasks


def count_loads(page: Any) -> list[str]:
    """The addresses the page's main frame loads from now on (filled as it goes)."""
    loads: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: loads.append(frame.url) if frame == page.main_frame else None,
    )
    return loads


def sign_up_from_support(page: Any, project: Any) -> str:
    """Project page → "Support this project" → log in → sign up; the path of the
    confirmation link the mail carries."""
    page.goto(f"/en/projects/{project.slug}/")
    page.get_by_role("link", name="Support this project").click()
    page.wait_for_url(lambda url: "/en/accounts/login/?next=" in url)
    page.locator("main").get_by_role("link", name="Sign up").click()
    page.wait_for_url(lambda url: "/en/accounts/signup/?next=" in url)
    page.get_by_label("Email").fill("newcomer@example.org")
    page.get_by_label("Name shown publicly").fill("Newcomer")
    page.locator("input[name=password1]").fill(TEST_PASSWORD)
    page.locator("input[name=password2]").fill(TEST_PASSWORD)
    with mail_tasks():
        page.locator("main form button[type=submit]").last.click()
        page.wait_for_url(lambda url: "/en/accounts/confirm-email/" in url)
    link = re.search(r"http://\S+/accounts/confirm-email/\S+", str(mail.outbox[-1].body))
    assert link is not None
    return link.group(0).split("/", 3)[3]
