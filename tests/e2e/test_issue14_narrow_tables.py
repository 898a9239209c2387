"""Issue 14, item 6 in Chromium at 390 px: the tables of "My contributions",
the catalogue, the governance page and the register show every column without
sideways scrolling (each row a stacked card, each cell with its column's name)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from contributors.models import User
from funds.services import payment_request_issue
from governance import services
from projects.enums import ProjectStatus
from tests.browser import log_in, tables_fit
from tests.factories import ProjectFactory, UserFactory
from tests.factories.contributors import EarmarkFactory, PledgeFactory
from tests.factories.projects import ProjectUsageFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _check(page: Any, url: str, shot: Path) -> int:
    page.goto(url)
    cells = tables_fit(page)
    page.screenshot(path=str(shot), full_page=True)
    return cells


def test_tables_at_390_px_show_every_column(
    page: Any, contributor_user: User, seat_holder_user: User, screenshot_dir: Path
) -> None:
    person = contributor_user.contributors.get()
    project = ProjectFactory.create(
        name="A project with a rather long name for a narrow screen",
        status=ProjectStatus.ADMITTED,
        licences=["GPL-3.0-or-later", "MIT"],
        tags=["cartography", "office"],
    )
    ProjectFactory.create_batch(4, status=ProjectStatus.ADMITTED)
    # Its name wraps beside the badge that says public bodies use it.
    ProjectUsageFactory.create(project=project, is_public_body=True)
    pledge = PledgeFactory.create(
        contributor=person,
        frequency="monthly",
        status="active",
        amount_cents=1_234_500,
        payment_method="bank_transfer",
    )
    EarmarkFactory.create(pledge=pledge, project=project, share_bp=2500)
    payment_request_issue(pledge=pledge)
    staff = UserFactory.create(is_staff=True)
    at = timezone.now()
    motion = services.ballot_create(
        kind="motion", title="Adopt the charter", closes_at=at + timedelta(hours=1), actor=staff
    )
    services.ballot_open(ballot=motion, actor=staff, at=at)
    services.vote_cast(ballot=motion, voter=seat_holder_user, at=at, choice="for")
    services.ballot_close(ballot=motion, at=motion.closes_at + timedelta(seconds=1))
    services.ballot_release(ballot=motion, actor=staff, at=motion.closes_at + timedelta(seconds=2))
    services.ballot_open(
        ballot=services.ballot_create(
            kind="round", title="Pool round", closes_at=at + timedelta(days=2), actor=staff
        ),
        actor=staff,
        at=at,
    )

    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, contributor_user.email)
    counted = 0
    for url, name in (
        ("/en/contribute/mine/", "mine"),
        ("/contribute/mine/", "mine-fr"),
        ("/en/projects/", "catalogue"),
        ("/en/governance/", "governance"),
        ("/en/governance/register/", "register"),
        (f"/en/governance/register/{motion.pk}/", "decision"),
    ):
        counted += _check(page, url, screenshot_dir / f"i14-390-{name}.png")
    assert counted > 40
    # The seat holder's portal: the ballots' table.
    page.context.clear_cookies()
    log_in(page, seat_holder_user.email)
    assert _check(page, "/en/governance/portal/", screenshot_dir / "i14-390-portal.png") >= 8
    page.context.clear_cookies()
    log_in(page, contributor_user.email)
    # The stacked cells say which column they belong to.
    page.goto("/en/contribute/mine/")
    label = page.locator("#pledges tbody td").nth(1).get_attribute("data-label")
    assert label
    # At 1280 px the tables stay tables.
    page.set_viewport_size({"width": 1280, "height": 900})
    display = page.locator("#pledges tbody tr").first.evaluate(
        "row => getComputedStyle(row).display"
    )
    assert display == "table-row"
