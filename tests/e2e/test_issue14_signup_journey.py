"""Issue 14, item 2 in Chromium: "Support this project" → log in → create an
account → confirm the address → the pledge form, with the project earmarked;
also when the confirmation link is opened in another browser. Counts the page
loads from the project page's button to the pledge recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contributors.models import Pledge
from projects.enums import ProjectStatus
from tests.e2e.journeys import count_loads, sign_up_from_support
from tests.factories import TEST_PASSWORD, ProjectFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_pledge_survives_sign_up_and_confirmation(
    page: Any, screenshot_dir: Path, settings: Any
) -> None:
    settings.USE_STRIPE = False
    project = ProjectFactory.create(name="Inkscape", status=ProjectStatus.ADMITTED)
    loads = count_loads(page)
    path = sign_up_from_support(page, project)
    assert f"next=%2Fen%2Fcontribute%2Fpledge%2F%3Fproject%3D{project.slug}" in path
    page.goto("/" + path)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/en/contribute/pledge/?project={project.slug}")
    assert page.locator("select[name=project_1]").input_value() == str(project.pk)
    page.get_by_label("Amount (euros)").fill("30")
    page.get_by_role("button", name="Confirm my pledge").click()
    page.wait_for_url("**/en/contribute/pledges/*/")
    pledge = Pledge.objects.get()
    assert list(pledge.earmarks.values_list("project_id", flat=True)) == [project.pk]
    page.screenshot(path=str(screenshot_dir / "i14-signup-pledged.png"), full_page=True)
    documents = [u for u in loads if "/static/" not in u]
    print(f"page loads from the project page to the pledge recorded: {len(documents)}")  # noqa: T201
    for url in documents:
        print("  ", url)  # noqa: T201
    assert len(documents) <= 10


def test_the_confirmation_link_in_another_browser_still_leads_to_the_pledge(
    page: Any, live_server: Any
) -> None:
    project = ProjectFactory.create(name="Inkscape", status=ProjectStatus.ADMITTED)
    path = sign_up_from_support(page, project)
    other = page.context.browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        tab = other.new_page()
        tab.goto("/" + path)
        tab.locator("main form button[type=submit]").click()
        tab.wait_for_url(lambda url: "/en/accounts/login/?next=" in url)
        tab.get_by_label("Email").fill("newcomer@example.org")
        tab.get_by_label("Password").fill(TEST_PASSWORD)
        tab.get_by_role("button", name="Sign in").click()
        tab.wait_for_url(f"**/en/contribute/pledge/?project={project.slug}")
        assert tab.locator("select[name=project_1]").input_value() == str(project.pk)
    finally:
        other.close()
