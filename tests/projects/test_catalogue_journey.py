"""The catalogue in Chromium: filters, a project page, its funding.json link."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from funds.enums import AccountKind, JournalSource
from funds.services import journal_post, ledger_account
from projects import services
from tests.factories import MaintainershipFactory, ProjectFactory
from tests.factories.projects import ProjectUsageFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_browse_filter_and_open_a_project(page: Any, screenshot_dir: Path) -> None:
    qgis = ProjectFactory.create(
        name="QGIS", summary_en="Maps for everyone", tags=["maps"], licences=["GPL-2.0-or-later"]
    )
    ProjectFactory.create(name="VLC", summary_en="Video", tags=["video"])
    ProjectUsageFactory.create(project=qgis, organisation="Ville de Lyon")
    MaintainershipFactory.create(project=qgis, user__display_name="Grace Maintainer")
    services.project_admit(project=qgis, actor=None, reference="GB-2026-03")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto("/en/projects/")
    page.get_by_label("Tag").fill("maps")
    page.get_by_label("Used by public bodies").check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"/en/projects/\?"))
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    page.screenshot(path=str(screenshot_dir / "projects-list.png"), full_page=True)
    rows.first.get_by_role("link", name="QGIS").click()
    page.wait_for_url(f"**/en/projects/{qgis.slug}/")
    assert page.locator("h1").inner_text().startswith("QGIS")
    main = page.locator("main").inner_text()
    assert "Grace Maintainer" in main
    assert "Ville de Lyon (public body)" in main
    assert "GB-2026-03" in main
    assert "No funds received yet." in main
    page.screenshot(path=str(screenshot_dir / "project-detail.png"), full_page=True)
    assert errors == []  # no CSP violation, no missing asset
    page.get_by_role("link", name="/projects/" + qgis.slug + "/funding.json").click()
    page.wait_for_url(f"**/projects/{qgis.slug}/funding.json")
    assert '"guid": "' + qgis.slug + '"' in page.content()


def test_funds_chart_in_the_browser(page: Any, screenshot_dir: Path) -> None:
    """The chart is an SVG drawn without script or style attributes: the strict
    Content Security Policy lets it show, and it is exposed as one labelled image."""
    qgis = ProjectFactory.create(name="QGIS")
    other = ProjectFactory.create(name="VLC")
    paris = ZoneInfo("Europe/Paris")
    for number, cents in enumerate([45_000, 0, 12_345, 80_050], start=1):
        if cents:
            journal_post(
                source=JournalSource.ALLOCATION,
                external_id=f"run-2026-{number:02d}",
                memo="pool share",
                booked_at=datetime(2026, number, 28, 12, tzinfo=paris),
                legs=[
                    (ledger_account(kind=AccountKind.POOL), cents + 100),
                    (ledger_account(kind=AccountKind.PROJECT, project=qgis), -cents),
                    (ledger_account(kind=AccountKind.PROJECT, project=other), -100),
                ],
            )
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto("/en/projects/?sort=funded")
    assert page.locator("table tbody tr td a").all_inner_texts() == ["QGIS", "VLC"]
    page.get_by_role("link", name="QGIS").click()
    page.wait_for_url(f"**/en/projects/{qgis.slug}/")
    chart = page.get_by_role("img", name="Chart of the funds received per month")
    expect(chart).to_be_visible()
    assert chart.locator("rect").count() == 4
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] > 200
    assert "80,050" not in page.locator("main").inner_text()  # cents are never shown raw
    assert "800.50" in page.locator("main table").inner_text()
    page.screenshot(path=str(screenshot_dir / "project-funds-chart.png"), full_page=True)
    assert errors == []  # no CSP violation
