"""Issue 14 in Chromium, items 2, 4 and 13 as a person sees them.

2. The page loads from "Support this project" to a pledge paid by card through
   localstripe, for a newcomer who signs up and confirms their address on the
   way: counted, printed for the record and held at most at `MOST_PAGE_LOADS`.
4. The payment page recaps the earmarks in money; the pledge change form
   previews the split live, as the pledge form does.
13. French numbers: percentages with a comma and a no-break space, grouped
   thousands, a seat written in words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contributors.models import Pledge, User
from funds.models import Payment
from governance.models import College, CollegeWeight, Mandate, Seat
from projects.enums import ProjectStatus
from tests.browser import log_in
from tests.e2e.journeys import count_loads, sign_up_from_support
from tests.factories import ProjectFactory
from tests.factories.contributors import PledgeFactory
from tests.funds.conftest import _localstripe_server, localstripe  # noqa: F401 -- fixtures
from tests.funds.test_stripe_payments import CARD_OK

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Project page, then: log in (asks first), sign up, "check your email", the
# confirmation link, the pledge form (prefilled), the payment page, "My
# contributions". The issue counted about 17; 9 before the pledge by card
# went straight to its payment instead of the pledge page's "Pay now".
MOST_PAGE_LOADS = 8


def _pay_by_card(page: Any) -> None:
    # localstripe's Stripe.js renders its card element as plain inputs.
    card = page.locator("#stripe-card")
    card.get_by_placeholder("number").fill(CARD_OK)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("30")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("75001")
    page.locator("#stripe-submit").click()


def test_from_support_this_project_to_paid_by_card_in_few_page_loads(
    localstripe: str,  # noqa: F811 -- fixture
    page: Any,
    screenshot_dir: Path,
) -> None:
    project = ProjectFactory.create(name="Inkscape", status=ProjectStatus.ADMITTED)
    loads = count_loads(page)
    path = sign_up_from_support(page, project)
    page.goto("/" + path)  # the link, opened from the mail
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/en/contribute/pledge/?project={project.slug}")
    # The form is prefilled: the project earmarked, card offered first, monthly.
    assert page.locator("select[name=project_1]").input_value() == str(project.pk)
    assert page.get_by_label("Card").is_checked()
    page.get_by_label("Amount (euros)").fill("30")
    page.get_by_role("button", name="Confirm my pledge").click()
    page.wait_for_url("**/en/funds/pledges/*/pay/")
    recap = page.locator("#earmark-recap tbody tr").first.inner_text().split("\t")
    assert recap == ["Inkscape", "50 %", "€15.00"]
    page.screenshot(path=str(screenshot_dir / "i14-pay-recap.png"), full_page=True)
    _pay_by_card(page)
    page.wait_for_url("**/en/contribute/mine/")

    assert Payment.objects.get().status == "succeeded"
    assert Pledge.objects.get().status == "active"
    documents = [url for url in loads if "/static/" not in url]
    print(  # noqa: T201 -- the figure the issue asks for
        f"page loads from the project page to the pledge paid by card: {len(documents)}"
    )
    for url in documents:
        print("  ", url)  # noqa: T201
    assert len(documents) <= MOST_PAGE_LOADS


def test_the_change_form_previews_the_split_live(
    page: Any, contributor_user: User, screenshot_dir: Path
) -> None:
    first = ProjectFactory.create(status=ProjectStatus.ADMITTED, name="Alpha Commons")
    second = ProjectFactory.create(status=ProjectStatus.ADMITTED, name="Beta Commons")
    pledge = PledgeFactory.create(
        contributor=contributor_user.contributors.get(),
        frequency="monthly",
        status="active",
        amount_cents=4_000,
    )
    pledge.earmarks.create(project=first, share_bp=2_500)
    log_in(page, contributor_user.email)
    page.goto(f"/en/contribute/pledges/{pledge.pk}/")
    form = page.locator("#pledge-amend-form")
    rows = form.locator("#pledge-preview-rows tr")
    # From the pledge as it stands: 25 % of €40.00.
    assert rows.all_inner_texts() == ["Alpha Commons\t€10.00"]
    assert form.locator("#pledge-preview-pool").inner_text() == "€30.00"
    form.get_by_label("New amount (euros)").fill("100")
    form.locator("select[name=project_2]").select_option(str(second.pk))
    form.locator("input[name=share_2]").fill("20")
    assert rows.all_inner_texts() == ["Alpha Commons\t€25.00", "Beta Commons\t€20.00"]
    assert form.locator("#pledge-preview-pool").inner_text() == "€55.00"
    page.screenshot(path=str(screenshot_dir / "i14-change-preview.png"), full_page=True)
    form.locator("input[name=share_2]").fill("30")
    status = form.locator("#pledge-preview-status")
    assert status.inner_text() == "Your earmarks are over the cap."
    assert status.get_attribute("role") == "alert"
    assert rows.count() == 0


def test_french_numbers_and_seats_as_a_french_reader_writes_them(
    page: Any, contributor_user: User, seat_holder_user: User, screenshot_dir: Path
) -> None:
    """Item 13: "5 100", "10,20 %" with a no-break space, "1 000 000,00 €",
    and "Représentants des communs, siège 1" rather than "Commoners #1"."""
    project = ProjectFactory.create(status=ProjectStatus.ADMITTED, name="Inkscape")
    pledge = PledgeFactory.create(
        contributor=contributor_user.contributors.get(),
        amount_cents=100_000_000,
        payment_method="bank_transfer",
    )
    pledge.earmarks.create(project=project, share_bp=1_020)
    from funds.services import payment_request_issue  # noqa: PLC0415 -- this test only

    payment_request_issue(pledge=pledge)
    page.goto("/governance/")
    commoners = College.objects.get(code="commoners")
    weight = CollegeWeight.objects.filter(college=commoners).first()
    assert weight is not None
    main = page.locator("main").inner_text()
    assert f"Représentants des communs\t{weight.weight_bp:,}".replace(",", "\u202f") in main
    seat = Mandate.objects.get(holder=seat_holder_user).seat
    assert isinstance(seat, Seat)
    assert f"Représentants des communs, siège {seat.number}\t" in main
    assert "#1" not in main
    page.screenshot(path=str(screenshot_dir / "i14-governance-fr.png"), full_page=True)

    log_in(page, contributor_user.email)
    page.goto(f"/contribute/pledges/{pledge.pk}/")
    recap = page.locator("#earmark-recap tbody tr").first.inner_text().split("\t")
    assert recap == ["Inkscape", "10,2\u00a0%", "102\u202f000,00\u00a0€"]
    assert page.locator("#earmark-recap tfoot").inner_text().endswith("898\u202f000,00\u00a0€")
    assert "1\u202f000\u202f000,00\u00a0€" in page.locator("main").inner_text()
    page.screenshot(path=str(screenshot_dir / "i14-recap-fr.png"), full_page=True)
