"""A maintainer registers a manifest and claims the project, in Chromium."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import SettingsWrapper

from contributors.models import User
from projects.models import Maintainership
from tests.browser import log_in
from tests.projects.conftest import FUNDING_JSON_DIR, LocalServer, fetch_tasks

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_maintainer_claims_a_project_through_the_pages(
    page: Any,
    outsider_user: User,
    local_server: LocalServer,
    settings: SettingsWrapper,
    screenshot_dir: Path,
) -> None:
    settings.LIBRERY_FETCH_ALLOW_LOOPBACK = True
    manifest = json.loads((FUNDING_JSON_DIR / "zen-browser__www.json").read_bytes())
    url = local_server.serve("/funding.json", json.dumps(manifest).encode())

    log_in(page, outsider_user.email)
    with fetch_tasks():  # the embedded default: fetches run at once
        _register_and_claim(page, outsider_user, local_server, manifest, url, screenshot_dir)


def _register_and_claim(
    page: Any,
    outsider_user: User,
    local_server: LocalServer,
    manifest: dict[str, Any],
    url: str,
    screenshot_dir: Path,
) -> None:
    page.goto("/en/projects/manifest/")
    page.get_by_label("Address of the funding.json manifest").fill(url)
    page.get_by_role("button", name="Check and import").click()
    status = page.get_by_role("status")
    assert "1 created, 0 updated, 0 unchanged" in status.inner_text()
    status.get_by_role("link").first.click()
    name = manifest["projects"][0]["name"]
    assert name in page.locator("h1").inner_text()

    page.get_by_role("link", name="Claim this project").click()
    token = page.locator("#claim-token").inner_text().strip()
    assert token.startswith("librery-claim-")
    page.get_by_role("button", name="Verify my claim").click()
    assert "The token was not found" in page.get_by_role("alert").inner_text()

    manifest["librery"] = {"claim": token}
    local_server.serve("/funding.json", json.dumps(manifest).encode())
    page.get_by_role("button", name="Verify my claim").click()
    page.wait_for_url("**/en/projects/mine/")
    assert "you are now a maintainer" in page.locator("main").inner_text()
    assert page.get_by_role("cell", name=name).is_visible()
    page.screenshot(path=str(screenshot_dir / "claimed.png"))
    membership = Maintainership.objects.get(user=outsider_user)
    assert membership.project.name == name
