"""In Chromium: a project nobody maintains (as the SILL's, no manifest) shows
"Claim this project"; a person signs in on the way, asks an administrator to
review the claim with evidence; the administrator accepts it in the admin; the
person now maintains the project (issue 14, item 10)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import expect

from contributors.models import User
from projects.enums import ClaimMethod, ClaimStatus, MaintainerRole
from projects.models import Maintainership, ProjectClaim
from tests.browser import TIMEOUT_MS
from tests.factories import TEST_PASSWORD, ProjectFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _admin_page(page: Any, live_server: Any, admin: User) -> Any:
    """A page of a new browser context with the administrator's session."""
    client = Client()
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    context = page.context.browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    admin_page = context.new_page()
    admin_page.set_default_timeout(TIMEOUT_MS)
    return admin_page


def test_a_person_claims_an_unclaimed_project_through_an_administrators_review(
    page: Any,
    live_server: Any,
    outsider_user: User,
    administrator_user: User,
    screenshot_dir: Path,
) -> None:
    project = ProjectFactory.create(name="Gaspard", slug="gaspard", source="sill")

    # Anyone sees the button; it leads through the log-in and back.
    page.goto("/en/projects/gaspard/")
    page.screenshot(path=str(screenshot_dir / "claim-unclaimed-project.png"))
    page.get_by_role("link", name="Claim this project").click()
    page.wait_for_url(re.compile(r"/en/accounts/login/\?next="))
    page.get_by_label("Email").fill(outsider_user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/en/projects/gaspard/claim/")
    assert page.locator("#claim-token").inner_text().startswith("librery-claim-")
    assert page.get_by_role("heading", name="3. Ask an administrator to review your claim")
    # No manifest, website or repository: nothing to verify a token at.
    assert page.get_by_role("button", name="Verify my claim").count() == 0

    page.get_by_label("How do you take part in the project?").fill(
        "I have made every release since 2021; the changelog names me."
    )
    page.get_by_label("Links that show it").fill("https://example.org/gaspard/changelog")
    with page.expect_navigation():
        page.get_by_role("button", name="Ask for a review").click()
    assert "awaits an administrator's review" in page.locator("#claim-status").inner_text()
    page.screenshot(path=str(screenshot_dir / "claim-review-asked.png"), full_page=True)

    admin = _admin_page(page, live_server, administrator_user)
    admin.goto("/en/admin/projects/projectclaim/")
    admin.get_by_role("link", name="Review", exact=True).click()
    assert "every release since 2021" in admin.locator("#claim-evidence").inner_text()
    expect(admin.get_by_role("link", name="https://example.org/gaspard/changelog")).to_be_visible()
    admin.get_by_label("Reason (the claimant reads it)").fill("The changelog names them.")
    admin.screenshot(path=str(screenshot_dir / "claim-review-admin.png"), full_page=True)
    with admin.expect_navigation():
        admin.get_by_role("button", name="Accept: make them a maintainer").click()
    assert "now maintains Gaspard" in admin.locator(".messagelist").inner_text()
    admin.context.close()

    page.goto("/en/projects/mine/")
    assert page.get_by_role("cell", name="Gaspard").is_visible()
    page.goto("/en/projects/gaspard/")
    assert page.get_by_role("link", name="Claim this project").count() == 0
    membership = Maintainership.objects.get(project=project)
    assert (membership.user_id, membership.role) == (outsider_user.pk, MaintainerRole.OWNER)
    claim = ProjectClaim.objects.get(project=project)
    assert (claim.status, claim.method) == (ClaimStatus.VERIFIED, ClaimMethod.REVIEW)
