"""The payment page: its Content Security Policy, who may open it, its JSON
steps, and the whole journey in Chromium with localstripe's Stripe.js."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from contributors.enums import PledgeFrequency
from contributors.models import Pledge, User
from funds.enums import PaymentMethod
from funds.models import Payment, Receipt, Refund
from funds.stripe.services import stripe_checkout_start
from tests.browser import fill_pledge_form, log_in
from tests.factories import ProjectFactory
from tests.factories.contributors import PledgeFactory
from tests.funds.conftest import localstripe_call
from tests.funds.test_stripe_payments import CARD_CHARGE_DECLINED, CARD_OK, confirm_setup, pay


def _csp(response: Any) -> str:
    return str(response.headers["Content-Security-Policy"])


@pytest.mark.django_db
def test_stripe_js_is_allowed_on_the_payment_page_only(
    localstripe: str, contributor: Client, contributor_user: User
) -> None:
    pledge = PledgeFactory.create(contributor=contributor_user.contributors.get())

    page = contributor.get(f"/en/funds/pledges/{pledge.pk}/pay/")
    home = contributor.get("/en/")

    assert page.status_code == 200
    assert f"script-src 'self' {localstripe}" in _csp(page)
    assert f"connect-src 'self' {localstripe}" in _csp(page)
    assert f"frame-src {localstripe}" in _csp(page)
    assert f'<script src="{localstripe}/js.stripe.com/v3/" defer>' in page.content.decode()
    assert localstripe not in _csp(home)
    assert "js.stripe.com" not in _csp(home)
    assert "unsafe-inline" not in _csp(page)


@pytest.mark.django_db
def test_production_policy_names_stripes_own_origin(
    localstripe: str, contributor: Client, contributor_user: User, settings: Any
) -> None:
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    pledge = PledgeFactory.create(contributor=contributor_user.contributors.get())
    page = contributor.get(f"/en/funds/pledges/{pledge.pk}/pay/")
    assert "script-src 'self' https://js.stripe.com;" in _csp(page)
    assert "connect-src 'self' https://api.stripe.com;" in _csp(page)
    assert "frame-src https://js.stripe.com https://hooks.stripe.com" in _csp(page)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "expected"), [("anonymous", 302), ("outsider", 404), ("contributor", 200)]
)
def test_only_the_contributor_opens_their_payment_page(
    localstripe: str, request: Any, contributor_user: User, persona: str, expected: int
) -> None:
    pledge = PledgeFactory.create(contributor=contributor_user.contributors.get())
    client = request.getfixturevalue(persona)
    assert client.get(f"/en/funds/pledges/{pledge.pk}/pay/").status_code == expected
    assert client.post(f"/en/funds/pledges/{pledge.pk}/pay/complete/").status_code in {
        expected if expected != 200 else 400
    }


@pytest.mark.django_db
def test_a_paid_pledge_says_there_is_nothing_to_pay(
    localstripe: str, contributor: Client, contributor_user: User
) -> None:
    pledge = PledgeFactory.create(
        contributor=contributor_user.contributors.get(), status="completed"
    )
    response = contributor.get(f"/en/funds/pledges/{pledge.pk}/pay/")
    assert response.status_code == 409
    assert "This pledge has nothing to pay now." in response.content.decode()


@pytest.mark.django_db
def test_without_stripe_there_is_no_payment_page(
    contributor: Client, contributor_user: User, settings: Any
) -> None:
    settings.USE_STRIPE = False
    pledge = PledgeFactory.create(contributor=contributor_user.contributors.get())
    assert contributor.get(f"/en/funds/pledges/{pledge.pk}/pay/").status_code == 404
    assert (
        "pledge-pay" not in contributor.get(f"/en/contribute/pledges/{pledge.pk}/").content.decode()
    )


@pytest.mark.django_db
def test_the_complete_step_answers_in_json(
    localstripe: str, contributor: Client, contributor_user: User
) -> None:
    pledge = PledgeFactory.create(contributor=contributor_user.contributors.get())
    start = stripe_checkout_start(pledge=pledge, email=contributor_user.email)
    confirm_setup(localstripe, start.client_secret, card=CARD_CHARGE_DECLINED)

    response = contributor.post(
        f"/en/funds/pledges/{pledge.pk}/pay/complete/", {"setup_intent": start.setup_intent_id}
    )

    assert response.status_code == 200
    payment = Payment.objects.get()
    assert response.json() == {
        "payment": payment.pk,
        "status": "failed",
        "action_client_secret": "",
        "sync_url": f"/en/funds/payments/{payment.pk}/sync/",
        "message": "Your card was declined.",
    }
    bad = contributor.post(f"/en/funds/pledges/{pledge.pk}/pay/complete/", {"setup_intent": "x"})
    assert bad.status_code == 400
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_the_pledge_page_links_to_the_payment(
    localstripe: str, contributor: Client, contributor_user: User
) -> None:
    pledge = PledgeFactory.create(contributor=contributor_user.contributors.get())
    transfer = PledgeFactory.create(
        contributor=contributor_user.contributors.get(), payment_method=PaymentMethod.BANK_TRANSFER
    )
    assert (
        f"/en/funds/pledges/{pledge.pk}/pay/"
        in contributor.get(f"/en/contribute/pledges/{pledge.pk}/").content.decode()
    )
    assert (
        "pledge-pay"
        not in contributor.get(f"/en/contribute/pledges/{transfer.pk}/").content.decode()
    )


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_visitor_pledges_50_euros_monthly_and_pays_with_stripe_js(
    localstripe: str, page: Any, contributor_user: User, screenshot_dir: Path
) -> None:
    first = ProjectFactory.create(status="admitted", name="Alpha Commons")
    second = ProjectFactory.create(status="admitted", name="Beta Commons")
    log_in(page, contributor_user.email)

    fill_pledge_form(page, amount="50", shares=[(first.pk, "30"), (second.pk, "20")])
    page.get_by_role("button", name="Confirm my pledge").click()
    # A pledge by card goes straight to its payment, which recaps the earmarks.
    page.wait_for_url("**/en/funds/pledges/*/pay/")
    recap = page.locator("#earmark-recap tbody tr")
    assert recap.nth(0).inner_text().split("\t") == ["Alpha Commons", "30 %", "€15.00"]
    assert recap.nth(1).inner_text().split("\t") == ["Beta Commons", "20 %", "€10.00"]
    assert page.locator("#earmark-recap tfoot").inner_text().split("\t") == [
        "Common pool",
        "",
        "€25.00",
    ]

    # localstripe's Stripe.js renders its card element as plain inputs.
    card = page.locator("#stripe-card")
    card.get_by_placeholder("number").fill(CARD_OK)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("30")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("75001")
    page.screenshot(path=str(screenshot_dir / "stripe-pay.png"), full_page=True)
    page.locator("#stripe-submit").click()
    page.wait_for_url("**/en/contribute/mine/")

    pledge = Pledge.objects.get()
    assert (pledge.frequency, pledge.amount_cents, pledge.status) == (
        PledgeFrequency.MONTHLY,
        5000,
        "active",
    )
    payment = Payment.objects.get()
    assert payment.status == "succeeded"
    receipt = Receipt.objects.get()
    assert sorted(share["share_bp"] for share in receipt.earmarks) == [2000, 3000]
    assert "Succeeded" in page.locator("#payments tbody tr").first.inner_text()
    receipt_row = page.locator("#receipts tbody tr").first.inner_text()
    assert "50.00 €" in receipt_row or "€50.00" in receipt_row
    pledge_row = page.locator("#pledges tbody tr").first.inner_text()
    assert "Alpha Commons (30 %)" in pledge_row
    assert "Beta Commons (20 %)" in pledge_row
    page.screenshot(path=str(screenshot_dir / "stripe-mine.png"), full_page=True)


def _open_payment_page(page: Any, user: User, pledge: Pledge) -> None:
    log_in(page, user.email)
    page.goto(f"/en/funds/pledges/{pledge.pk}/pay/")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_sepa_mandate_through_stripe_js(
    localstripe: str, page: Any, contributor_user: User
) -> None:
    pledge = PledgeFactory.create(
        contributor=contributor_user.contributors.get(),
        amount_cents=3000,
        payment_method=PaymentMethod.SEPA_DEBIT,
    )
    _open_payment_page(page, contributor_user, pledge)
    assert "authorise The Librery and Stripe" in page.locator("#stripe-mandate").inner_text()
    page.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 00")
    page.locator("#stripe-submit").click()
    page.wait_for_url("**/en/contribute/mine/")

    payment = Payment.objects.get()
    assert (payment.method, payment.amount_cents) == ("sepa_debit", 3000)
    assert payment.status in {"pending", "succeeded"}  # SEPA settles later
    pledge.refresh_from_db()
    assert pledge.stripe_payment_method_id.startswith("pm_")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_card_asking_for_3d_secure_is_authenticated_then_synced(
    localstripe: str, page: Any, contributor_user: User
) -> None:
    """confirmCardSetup, then confirmCardPayment for the bank's challenge."""
    pledge = PledgeFactory.create(
        contributor=contributor_user.contributors.get(), amount_cents=2000
    )
    _open_payment_page(page, contributor_user, pledge)
    card = page.locator("#stripe-card")
    card.get_by_placeholder("number").fill("4000002500003155")
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("30")
    card.get_by_placeholder("cvc").fill("123")
    page.locator("#stripe-submit").click()
    page.get_by_role("button", name="Complete authentication").click()  # saving the card
    page.get_by_role("button", name="Complete authentication").click()  # the payment
    page.wait_for_url("**/en/contribute/mine/")

    payment = Payment.objects.get()
    assert payment.status == "succeeded"
    assert [e.status for e in payment.events.order_by("id")] == ["created", "pending", "succeeded"]
    assert Receipt.objects.get().gross_cents == 2000


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "expected"),
    [("anonymous", 404), ("contributor", 404), ("outsider", 404), ("administrator", 200)],
)
def test_only_administrators_see_the_refund_pages(
    localstripe: str, request: Any, persona: str, expected: int
) -> None:
    payment = pay(localstripe, PledgeFactory.create())
    client = request.getfixturevalue(persona)
    assert client.get("/en/funds/stripe/payments/").status_code == expected
    assert client.get(f"/en/funds/stripe/payments/{payment.pk}/refund/").status_code == expected
    if expected == 404:
        response = client.post(
            f"/en/funds/stripe/payments/{payment.pk}/refund/", {"amount": "50", "reason": "x"}
        )
        assert response.status_code == 404
        assert Refund.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 3])
def test_the_refundable_list_queries_do_not_grow(
    localstripe: str,
    administrator: Client,
    count: int,
    django_assert_max_num_queries: Any,
) -> None:
    for _n in range(count):
        pay(localstripe, PledgeFactory.create())
    with django_assert_max_num_queries(8):
        response = administrator.get("/en/funds/stripe/payments/")
    assert response.content.decode().count("/refund/") == count


@pytest.mark.django_db
def test_an_administrator_refunds_part_of_a_payment(
    localstripe: str, administrator: Client, administrator_user: User
) -> None:
    payment = pay(localstripe, PledgeFactory.create(amount_cents=5000))

    response = administrator.post(
        f"/en/funds/stripe/payments/{payment.pk}/refund/",
        {"amount": "20,50", "reason": "Asked by the contributor"},
    )

    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount_cents, refund.status, refund.reason) == (
        2050,
        "succeeded",
        "Asked by the contributor",
    )
    assert Receipt.objects.get(refund=refund).gross_cents == -2050


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "Enter an amount in euros, such as 50 or 50,00."),
        ("-5", "The amount cannot be negative."),
        ("0", "Enter an amount of at least €0.01."),
        ("60", "Refunds cannot exceed the payment."),
        ("1" * 40, "Ensure this value has at most 30 characters (it has 40)."),
    ],
)
def test_a_bad_refund_amount_is_explained_and_changes_nothing(
    localstripe: str, administrator: Client, amount: str, message: str
) -> None:
    payment = pay(localstripe, PledgeFactory.create(amount_cents=5000))
    response = administrator.post(
        f"/en/funds/stripe/payments/{payment.pk}/refund/", {"amount": amount, "reason": "x"}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Refund.objects.count() == 0
    assert localstripe_call(localstripe, "GET", "/v1/refunds?limit=10")["data"] == []
