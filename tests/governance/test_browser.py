"""In Chromium: a commoner representative fills a pool allocation round with
the euro preview, gets a receipt, and the public register shows the result."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from contributors.models import User
from funds import services as fund_services
from funds.enums import AccountKind, JournalSource
from governance import services
from governance.models import Vote
from projects.enums import ProjectStatus
from tests.browser import log_in
from tests.factories import TEST_PASSWORD, ProjectFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_round_with_euro_preview_receipt_and_public_result(
    page: Any, seat_holder_user: User, screenshot_dir: Path
) -> None:
    alpha, beta, gamma = (
        ProjectFactory.create(name=f"{name} Commons", status=ProjectStatus.ADMITTED)
        for name in ("Alpha", "Beta", "Gamma")
    )
    ProjectFactory.create_batch(20, status=ProjectStatus.ADMITTED)
    fund_services.journal_post(
        source=JournalSource.ADJUSTMENT,
        external_id="test-pool",
        memo="Pool for the browser test",
        legs=[
            (fund_services.ledger_account(kind=AccountKind.BANK), 1_000_000),
            (fund_services.ledger_account(kind=AccountKind.POOL), -1_000_000),
        ],
    )
    staff = UserFactory.create(is_staff=True)
    ballot = services.ballot_create(
        kind="round",
        title="Pool round, December",
        closes_at=timezone.now() + timedelta(days=2),
        actor=staff,
    )
    services.ballot_open(ballot=ballot, actor=staff, at=timezone.now())

    page.goto("/en/accounts/login/")
    page.locator("input[name=login]").fill(seat_holder_user.email)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/en/")
    page.goto("/en/governance/portal/")
    page.get_by_role("link", name="Pool round, December").click()
    page.wait_for_url(f"**/en/governance/portal/ballots/{ballot.pk}/")

    search = page.get_by_label("Search projects")
    for project, points in ((alpha, "500"), (beta, "300"), (gamma, "200")):
        search.fill(project.name.split()[0])
        assert page.locator("tbody tr:not([hidden])").count() == 1
        page.locator(f"#p_{project.pk}").fill(points)
    search.fill("")
    # At a pool of 10 000 EUR the commoners (51 %, one voter) control 5 100 EUR.
    assert page.locator("#points-total").inner_text() == "1000"
    assert page.locator("#euro-total").inner_text() == "€5,100.00"
    assert (
        page.locator(f"#p_{alpha.pk}").locator("xpath=../..").locator(".euro-cell").inner_text()
        == "€2,550.00"
    )
    page.get_by_label("Only projects with points").check()
    assert page.locator("tbody tr:not([hidden])").count() == 3
    page.screenshot(path=str(screenshot_dir / "governance-round.png"), full_page=True)
    page.get_by_role("button", name="Confirm my points").click()
    page.wait_for_selector("[data-receipt]")
    vote = Vote.objects.get(ballot=ballot)
    assert page.locator("[data-receipt] code").inner_text() == vote.receipt
    assert vote.points == {str(alpha.pk): 500, str(beta.pk): 300, str(gamma.pk): 200}

    at = ballot.closes_at + timedelta(seconds=1)
    services.ballot_close(ballot=ballot, at=at)
    released = services.ballot_release(ballot=ballot, actor=staff, at=at)

    page.context.clear_cookies()
    page.goto("/en/governance/register/")
    page.get_by_role("link", name=str(released.decision_number)).click()
    # The click only starts the navigation: wait for the decision's page
    # before reading its table (read at once, it was the register's, empty).
    page.wait_for_url(f"**/en/governance/register/{released.pk}/")
    rows = page.locator("#pool-shares tbody tr")
    assert rows.all_inner_texts() == [
        "Alpha Commons\t51/200\t25.50 %\t€2,550.00",
        "Beta Commons\t153/1000\t15.30 %\t€1,530.00",
        "Gamma Commons\t51/500\t10.20 %\t€1,020.00",
    ]
    # The same figures in French numbers on the French page.
    page.goto(page.url.replace("/en/", "/", 1))
    assert page.locator("#pool-shares tbody tr").first.inner_text() == (
        "Alpha Commons\t51/200\t25,50\u00a0%\t2\u202f550,00\u00a0€"
    )
    assert page.locator("#bundle-hash").inner_text() == released.bundle_hash
    page.screenshot(path=str(screenshot_dir / "governance-decision.png"))


def test_the_euro_preview_adds_up_as_the_allocation_rounds(
    page: Any, seat_holder_user: User
) -> None:
    """At a pool of 1.00 EUR the commoner controls 0.51 EUR; 333, 333 and 334
    points are 0.16983, 0.16983 and 0.17034 EUR: floored each they would show
    0.16 + 0.16 + 0.17 = 0.49; by largest remainder 0.17 three times = 0.51."""
    projects = [
        ProjectFactory.create(name=f"Commons {n}", status=ProjectStatus.ADMITTED) for n in (1, 2, 3)
    ]
    fund_services.journal_post(
        source=JournalSource.ADJUSTMENT,
        external_id="test-pool-one-euro",
        memo="A pool of 1.00 EUR",
        legs=[
            (fund_services.ledger_account(kind=AccountKind.BANK), 100),
            (fund_services.ledger_account(kind=AccountKind.POOL), -100),
        ],
    )
    staff = UserFactory.create(is_staff=True)
    ballot = services.ballot_create(
        kind="round", title="Small pool", closes_at=timezone.now() + timedelta(days=2), actor=staff
    )
    services.ballot_open(ballot=ballot, actor=staff, at=timezone.now())
    log_in(page, seat_holder_user.email)
    page.goto(f"/en/governance/portal/ballots/{ballot.pk}/")
    for project, points in zip(projects, ("333", "333", "334"), strict=True):
        page.locator(f"#p_{project.pk}").fill(points)
    cells = [
        page.locator(f"#p_{p.pk}").locator("xpath=../..").locator(".euro-cell").inner_text()
        for p in projects
    ]
    assert cells == ["€0.17", "€0.17", "€0.17"]
    assert page.locator("#euro-total").inner_text() == "€0.51"
