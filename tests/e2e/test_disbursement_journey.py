"""In Chromium: one administrator reviews the month's disbursement report and
approves it (password and TOTP code again), a second one approves it, which
makes the payout batch, and downloads its SEPA file; a maintainer sees the
payout on their project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import xmlschema
from django.test import Client

from allocation import tasks
from allocation.models import Approval, PayoutBatch
from funds.services import payment_request_issue
from tests.allocation.disbursement import Admin, computed_month, make_admin
from tests.browser import TIMEOUT_MS, log_in, tables_fit
from tests.factories import TEST_PASSWORD, MaintainershipFactory
from tests.factories.contributors import PledgeFactory
from tests.paths import DATA
from tests.tasks import queued_tasks

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _signed_in(browser: Any, live_server: Any, admin: Admin, width: int = 1280) -> Any:
    """A page of a new browser context with `admin`'s session (their TOTP code
    stays unused for the approval itself: allauth takes each code once)."""
    client = Client()
    client.force_login(admin.user, backend="django.contrib.auth.backends.ModelBackend")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}, locale="en-GB"
    )
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def _approve(page: Any, admin: Admin) -> None:
    page.get_by_label("Your password").fill(TEST_PASSWORD)
    page.get_by_label("Your two-factor code").fill(admin.code())
    page.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_load_state()


def _on_a_phone(narrow: Any, url: str, screenshot_dir: Path) -> None:
    """At 390 px the report's and the reconciliation's tables stack, every
    column shown, the form to book a transfer by hand under its label."""
    pledge = PledgeFactory.create(payment_method="bank_transfer", amount_cents=2_500)
    payment_request_issue(pledge=pledge)
    narrow.goto(url)
    assert tables_fit(narrow) > 20
    narrow.screenshot(path=str(screenshot_dir / "disbursement-390.png"), full_page=True)
    narrow.goto("/funds/reconciliation/")
    assert tables_fit(narrow) > 5
    assert narrow.locator("#awaiting-requests td.cell--block").get_attribute("data-label")
    # Each field of the form under a label one can read (not one for screen readers only).
    for label in ("Montant reçu (euros)", "Reçu le", "Motif de l\u2019acceptation"):
        box = narrow.locator("#awaiting-requests label", has_text=label).bounding_box()
        assert box is not None, label
        assert box["width"] > 50, label
    narrow.screenshot(path=str(screenshot_dir / "reconciliation-390.png"), full_page=True)


def test_two_administrators_approve_and_a_maintainer_sees_the_payout(
    live_server: Any, page: Any, screenshot_dir: Path
) -> None:
    browser = page.context.browser
    month = computed_month()
    maintainer = MaintainershipFactory.create(project=month.paid).user
    ada = make_admin("Ada Admin", "ada@example.org")
    bob = make_admin("Bob Admin", "bob@example.org")
    url = f"/en/staff/disbursement/{month.run.period}/"

    first = _signed_in(browser, live_server, ada)
    first.goto("/en/admin/")
    first.get_by_role("link", name="Review and approve the monthly disbursement reports").click()
    first.get_by_role("link", name="March 2026").click()
    first.wait_for_url(f"**{url}")
    assert first.locator("h1").inner_text() == "Disbursement report, March 2026"
    assert "€120.00" in first.locator("#report-totals").inner_text()
    lines = first.locator("#report-lines").inner_text()
    assert "below the payout threshold" in lines
    assert "payout account not verified" in lines
    first.screenshot(path=str(screenshot_dir / "disbursement-report.png"), full_page=True)
    _approve(first, ada)
    assert "Your approval is recorded." in first.content()
    assert "You approved this content." in first.content()
    assert "1 of the 2 approvals needed" in first.locator("#approval-count").inner_text()

    second = _signed_in(browser, live_server, bob)
    second.goto(url)
    with queued_tasks(tasks.create_payout_batch, at_once=True):
        _approve(second, bob)
    assert Approval.objects.filter(voided_at__isnull=True).count() == 2
    batch = PayoutBatch.objects.get()
    second.reload()
    assert "Approved by two administrators" in second.content()
    second.screenshot(path=str(screenshot_dir / "disbursement-batch.png"), full_page=True)
    with second.expect_download() as download_info:
        second.locator("#sepa-file").click()
    download = download_info.value
    assert download.suggested_filename == "payouts-2026-03-pain.001.xml"
    saved = screenshot_dir / download.suggested_filename
    download.save_as(str(saved))
    xmlschema.XMLSchema(str(DATA / "sepa" / "pain.001.001.03.xsd")).validate(saved.read_text())
    assert f"LIB-BATCH-{batch.pk}" in saved.read_text()

    _on_a_phone(_signed_in(browser, live_server, bob, width=390), url, screenshot_dir)

    log_in(page, maintainer.email)
    payout = batch.payouts.get()
    page.goto(f"/en/projects/{month.paid.slug}/")
    assert payout.end_to_end_id in page.locator("#project-payouts").inner_text()
    page.goto("/en/projects/mine/")
    assert payout.end_to_end_id in page.locator(".my-payouts").inner_text()
    page.screenshot(path=str(screenshot_dir / "my-projects-payouts.png"), full_page=True)
