"""Chromium (issue 15): an organisation uploads an SBOM, sees the matched
projects, accepts the proposed split, and the pledge's earmarks follow it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contributors.models import Pledge, Sbom
from tests.browser import log_in
from tests.contributors.sbom_catalogue import FLASK, SBOMS, seed_catalogue
from tests.factories.contributors import MembershipFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_organisation_earmarks_what_its_software_depends_on(
    page: Any, screenshot_dir: Path
) -> None:
    seed_catalogue()
    membership = MembershipFactory.create(contributor__name="Commune de Test")
    organisation = membership.contributor
    log_in(page, membership.user.email)

    page.goto("/en/contribute/pledge/")
    page.locator("#pledge-sbom-link").click()
    page.wait_for_url("**/en/contribute/sbom/")
    page.get_by_label("The software of").select_option(str(organisation.pk))
    page.get_by_label("SBOM file").set_input_files(str(SBOMS / FLASK))
    page.get_by_role("button", name="Find the projects").click()
    page.wait_for_url("**/en/contribute/sbom/*/")

    matched = page.locator("#sbom-matched tbody tr")
    assert [matched.nth(i).locator("td").first.inner_text() for i in range(3)] == [
        "GitHub Actions",
        "Requests",
        "urllib3",
    ]
    page.get_by_label("By number of components").check()
    page.get_by_role("button", name="Propose").click()
    page.wait_for_url(lambda url: "mode=components" in url)
    rows = page.locator("#sbom-proposal tbody tr")
    assert [rows.nth(i).inner_text().split("\t") for i in range(3)] == [
        ["GitHub Actions", "41.67 %"],
        ["Requests", "4.17 %"],
        ["urllib3", "4.16 %"],
    ]
    page.screenshot(path=str(screenshot_dir / "sbom-detail.png"), full_page=True)

    page.locator("#sbom-use").click()
    page.wait_for_url(lambda url: "/en/contribute/pledge/?sbom=" in url)
    assert page.get_by_label("I give as").input_value() == str(organisation.pk)
    assert page.locator("input[name=share_1]").input_value() == "41,67"
    page.get_by_label("Monthly").check()
    page.get_by_label("Amount (euros)").fill("120")
    preview = page.locator("#pledge-preview-rows tr")
    assert preview.nth(0).inner_text().split("\t") == ["GitHub Actions", "€50.00"]
    page.screenshot(path=str(screenshot_dir / "sbom-pledge-form.png"), full_page=True)
    page.get_by_role("button", name="Confirm my pledge").click()
    page.wait_for_url("**/en/contribute/pledges/*/")

    pledge = Pledge.objects.get()
    assert pledge.contributor == organisation
    assert pledge.sbom == Sbom.objects.get()
    assert sorted(pledge.earmarks.values_list("project__name", "share_bp")) == [
        ("GitHub Actions", 4167),
        ("Requests", 417),
        ("urllib3", 416),
    ]
