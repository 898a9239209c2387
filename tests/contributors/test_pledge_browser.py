"""The pledge form in a real Chromium: live preview, then the pledge in "My contributions"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contributors.models import Pledge, User
from tests.browser import browser_state, fill_pledge_form, log_in
from tests.factories import ProjectFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_monthly_pledge_with_two_earmarks_and_live_preview(
    page: Any, contributor_user: User, screenshot_dir: Path
) -> None:
    first = ProjectFactory.create(status="admitted", name="Alpha Commons")
    second = ProjectFactory.create(status="admitted", name="Beta Commons")
    log_in(page, contributor_user.email)

    fill_pledge_form(page, amount="50", shares=[(first.pk, "30"), (second.pk, "20")])
    rows = page.locator("#pledge-preview-rows tr")
    assert rows.count() == 2
    assert rows.nth(0).inner_text().split("\t") == ["Alpha Commons", "€15.00"]
    assert rows.nth(1).inner_text().split("\t") == ["Beta Commons", "€10.00"]
    assert page.locator("#pledge-preview-pool").inner_text() == "€25.00"
    page.locator("input[name=share_2]").fill("25")
    assert page.locator("#pledge-preview-status").inner_text() == "Your earmarks are over the cap."
    page.locator("input[name=share_2]").fill("20")
    page.screenshot(path=str(screenshot_dir / "pledge-form.png"), full_page=True)
    page.get_by_role("button", name="Confirm my pledge").click()
    page.wait_for_url("**/en/contribute/pledges/*/")

    pledge = Pledge.objects.get()
    assert (pledge.frequency, pledge.amount_cents) == ("monthly", 5000)
    assert sorted(pledge.earmarks.values_list("share_bp", flat=True)) == [2000, 3000]
    page.goto("/en/contribute/mine/")
    row = page.locator("#pledges tbody tr").first
    assert "Alpha Commons (30 %)" in row.inner_text()
    assert "Beta Commons (20 %)" in row.inner_text()
    assert "€50.00" in row.inner_text() or "50.00 €" in row.inner_text()


def test_a_failed_journey_reports_what_the_page_showed(
    page: Any, contributor_user: User, tmp_path: Path
) -> None:
    """`browser_state`, printed when a browser test fails: the address, the
    title and the form's errors, and a screenshot."""
    log_in(page, contributor_user.email)
    fill_pledge_form(page, amount="50", shares=[])
    page.get_by_label("Amount (euros)").fill("0")
    page.get_by_role("button", name="Confirm my pledge").click()
    page.wait_for_selector("main .errorlist")

    lines = browser_state(page, tmp_path).splitlines()
    assert lines[0].endswith("/en/contribute/pledge/")
    assert lines[1].startswith("title: Pledge")
    assert any(line.startswith("error shown: ") for line in lines[2:-1])
    shot = Path(lines[-1].removeprefix("screenshot: "))
    assert shot.parent == tmp_path
    assert shot.read_bytes().startswith(b"\x89PNG")
