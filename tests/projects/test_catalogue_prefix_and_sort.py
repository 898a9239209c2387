"""Issue 14, item 11: the catalogue's licence and tag filters match the start
of an entry in any case, and the name sort ignores case and accents."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from playwright.sync_api import expect

from projects.selectors import project_list
from tests.factories import ProjectFactory


def _catalogue() -> None:
    ProjectFactory.create(name="Zimbra", licences=["GPL-2.0-only"], tags=["Mail"])
    ProjectFactory.create(name="uMap", licences=["WTFPL"], tags=["maps", "Web"])
    ProjectFactory.create(name="ARX", licences=["Apache-2.0"], tags=["Privacy"])
    ProjectFactory.create(name="Acceleo", licences=["EPL-2.0"], tags=["modelling"])
    ProjectFactory.create(name="Écrivain", licences=["MIT OR Apache-2.0"], tags=[])
    ProjectFactory.create(name="Firefox", licences=["MPL-2.0"], tags=["web"])
    ProjectFactory.create(name="LibreOffice", licences=["LGPL-3.0-or-later"], tags=["office"])
    ProjectFactory.create(name="Odd%Name", licences=["100%_free"], tags=[])


def _names(**filters: Any) -> list[str]:
    return [p.name for p in project_list(**filters)]


@pytest.mark.integration
@pytest.mark.django_db
def test_filters_match_the_start_of_an_entry_in_any_case() -> None:
    _catalogue()
    assert _names(licence="GPL") == ["Zimbra"]
    assert _names(licence="gpl-2") == ["Zimbra"]
    assert _names(licence="mpl-2.0") == ["Firefox"]
    assert _names(licence="apache") == ["ARX", "Écrivain"]
    assert _names(licence="lgpl") == ["LibreOffice"]
    assert _names(licence="%") == []
    assert _names(licence="100%_") == ["Odd%Name"]
    assert _names(tag="WEB") == ["Firefox", "uMap"]
    assert _names(tag="map") == ["uMap"]
    assert _names(tag="nothing") == []


@pytest.mark.integration
@pytest.mark.django_db
def test_the_name_sort_ignores_case_and_accents() -> None:
    _catalogue()
    expected = [
        "Acceleo",
        "ARX",
        "Écrivain",
        "Firefox",
        "LibreOffice",
        "Odd%Name",
        "uMap",
        "Zimbra",
    ]
    if connection.vendor != "postgresql":
        # The embedded SQLite default ignores case only: accented names come last.
        expected = [*[n for n in expected if n != "Écrivain"], "Écrivain"]
    assert _names() == expected


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_catalogue_in_chromium(page: Any, screenshot_dir: Path) -> None:
    _catalogue()
    page.goto("/projects/")
    assert page.get_by_role("button", name="Filtrer").is_visible()
    page.goto("/en/projects/")
    names = page.locator("table tbody tr th, table tbody tr td:first-child").all_inner_texts()
    order = [n for n in ("Acceleo", "ARX", "uMap", "Zimbra") if any(n in x for x in names)]
    assert order == ["Acceleo", "ARX", "uMap", "Zimbra"]
    page.get_by_label("Licence").fill("gpl")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"/en/projects/\?"))
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    assert "Zimbra" in rows.first.inner_text()
    page.screenshot(path=str(screenshot_dir / "i14-catalogue-gpl.png"), full_page=True)


@pytest.mark.integration
@pytest.mark.django_db
def test_the_list_page_keeps_one_query_count(
    anonymous: Client, django_assert_max_num_queries: Any
) -> None:
    _catalogue()
    with django_assert_max_num_queries(8):
        response = anonymous.get("/en/projects/?licence=GPL&tag=mail")
    assert response.status_code == 200
    assert "Zimbra" in response.text
