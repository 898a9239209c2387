"""Card and SEPA payments through the gateway, against localstripe."""

from __future__ import annotations

import time
from typing import Any

import pytest

from contributors.enums import PledgeFrequency, PledgeStatus
from contributors.models import Pledge
from funds.enums import AccountKind, PaymentEventSource, PaymentMethod, PaymentStatus, RefundStatus
from funds.models import Payment, Receipt
from funds.selectors import account_balance_cents, books_check
from funds.stripe import amounts
from funds.stripe.refunds import payment_refund
from funds.stripe.services import (
    StripePaymentError,
    payment_sync,
    stripe_checkout_complete,
    stripe_checkout_start,
)
from tests.factories.contributors import EarmarkFactory, PledgeFactory
from tests.funds.conftest import STRIPE_PUBLISHABLE_KEY, localstripe_call

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=False)]

CARD_OK = "4242424242424242"
CARD_CHARGE_DECLINED = "4000000000000341"  # accepted when saved, declined when charged
CARD_DECLINED = "4000000000000002"  # declined as soon as it is saved
IBAN_OK = "DE89370400440532013000"


def confirm_setup(base: str, client_secret: str, *, card: str = "", iban: str = "") -> Any:
    """What Stripe.js's confirmCardSetup / confirmSepaDebitSetup send."""
    setup_id = client_secret.split("_secret_")[0]
    if iban:
        method: dict[str, Any] = {"type": "sepa_debit", "sepa_debit": {"iban": iban}}
    else:
        method = {
            "type": "card",
            "card": {"number": card, "exp_month": "12", "exp_year": "2030", "cvc": "123"},
        }
    return localstripe_call(
        base,
        "POST",
        f"/v1/setup_intents/{setup_id}/confirm",
        {
            "key": STRIPE_PUBLISHABLE_KEY,
            "use_stripe_sdk": True,
            "client_secret": client_secret,
            "payment_method_data": {
                **method,
                "billing_details": {"name": "Alice", "email": "alice@example.org"},
            },
        },
    )


def pay(base: str, pledge: Pledge, *, card: str = CARD_OK, iban: str = "") -> Payment:
    start = stripe_checkout_start(pledge=pledge, email="alice@example.org")
    confirm_setup(base, start.client_secret, card=card, iban=iban)
    return stripe_checkout_complete(
        pledge=Pledge.objects.get(pk=pledge.pk), setup_intent_id=start.setup_intent_id
    ).payment


def test_one_time_card_payment_books_a_receipt_with_the_fee(
    localstripe: str, django_capture_on_commit_callbacks: Any
) -> None:
    pledge = PledgeFactory.create(amount_cents=5000)
    earmark = EarmarkFactory.create(pledge=pledge, share_bp=3000)

    with django_capture_on_commit_callbacks() as callbacks:
        payment = pay(localstripe, pledge)

    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.idempotency_key == f"pledge_{pledge.pk}_once_1"
    assert payment.stripe_payment_intent_id is not None
    assert payment.stripe_payment_intent_id.startswith("pi_")
    receipt = Receipt.objects.get(payment=payment)
    # localstripe's balance transactions carry no fee; the fee path is still read.
    assert (receipt.gross_cents, receipt.processor_fee_cents, receipt.net_cents) == (5000, 0, 5000)
    assert receipt.earmarks == [{"project_id": earmark.project_id, "share_bp": 3000}]
    assert account_balance_cents(kind=AccountKind.STRIPE_CLEARING) == 5000
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.COMPLETED
    assert pledge.stripe_payment_method_id.startswith("pm_")
    assert len(callbacks) == 1  # the success email, enqueued after the commit
    assert books_check() == []


def test_completing_twice_charges_once(localstripe: str) -> None:
    pledge = PledgeFactory.create(amount_cents=2500)
    start = stripe_checkout_start(pledge=pledge, email="alice@example.org")
    confirm_setup(localstripe, start.client_secret, card=CARD_OK)

    first = stripe_checkout_complete(pledge=pledge, setup_intent_id=start.setup_intent_id)
    with pytest.raises(StripePaymentError):  # the pledge is completed: nothing more to pay
        stripe_checkout_complete(pledge=pledge, setup_intent_id=start.setup_intent_id)

    assert Payment.objects.filter(pledge=pledge).count() == 1
    assert first.payment.status == PaymentStatus.SUCCEEDED
    intents = localstripe_call(localstripe, "GET", "/v1/payment_intents?limit=100")
    assert len(intents["data"]) == 1


def test_sepa_debit_is_pending_until_settled_then_succeeds(localstripe: str) -> None:
    pledge = PledgeFactory.create(amount_cents=12000, payment_method=PaymentMethod.SEPA_DEBIT)

    payment = pay(localstripe, pledge, iban=IBAN_OK)

    assert payment.method == PaymentMethod.SEPA_DEBIT
    if payment.status == PaymentStatus.PENDING:  # settlement comes half a second later
        for _ in range(40):
            payment = payment_sync(payment=payment, source=PaymentEventSource.STRIPE_SYNC)
            if payment.status != PaymentStatus.PENDING:
                break
            time.sleep(0.05)  # localstripe settles SEPA half a second later
    assert payment.status == PaymentStatus.SUCCEEDED
    assert Receipt.objects.get(payment=payment).gross_cents == 12000
    assert list(payment.events.values_list("status", flat=True)) == [
        "created",
        "pending",
        "succeeded",
    ]


def test_a_declined_card_fails_the_payment_and_books_nothing(
    localstripe: str, django_capture_on_commit_callbacks: Any
) -> None:
    pledge = PledgeFactory.create(amount_cents=5000)

    with django_capture_on_commit_callbacks() as callbacks:
        payment = pay(localstripe, pledge, card=CARD_CHARGE_DECLINED)

    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_code == "card_declined"
    assert Receipt.objects.count() == 0
    pledge.refresh_from_db()
    assert (pledge.status, pledge.failed_attempts) == (PledgeStatus.AWAITING_PAYMENT, 1)
    assert len(callbacks) == 1  # the failure email


def test_a_card_declined_when_saved_never_reaches_a_payment(localstripe: str) -> None:
    pledge = PledgeFactory.create(amount_cents=5000)
    start = stripe_checkout_start(pledge=pledge, email="alice@example.org")
    with pytest.raises(Exception, match="402"):
        confirm_setup(localstripe, start.client_secret, card=CARD_DECLINED)

    with pytest.raises(StripePaymentError, match="not confirmed"):
        stripe_checkout_complete(pledge=pledge, setup_intent_id=start.setup_intent_id)
    assert Payment.objects.count() == 0


def test_a_setup_intent_of_another_pledge_is_refused(localstripe: str) -> None:
    mine = PledgeFactory.create()
    theirs = PledgeFactory.create()
    start = stripe_checkout_start(pledge=theirs, email="eve@example.org")
    confirm_setup(localstripe, start.client_secret, card=CARD_OK)
    stripe_checkout_start(pledge=mine, email="alice@example.org")

    with pytest.raises(StripePaymentError, match="another pledge"):
        stripe_checkout_complete(
            pledge=Pledge.objects.get(pk=mine.pk), setup_intent_id=start.setup_intent_id
        )
    assert Payment.objects.count() == 0


def test_a_bank_transfer_pledge_has_no_card_page(localstripe: str) -> None:
    pledge = PledgeFactory.create(payment_method=PaymentMethod.BANK_TRANSFER)
    with pytest.raises(StripePaymentError):
        stripe_checkout_start(pledge=pledge, email="alice@example.org")


def test_a_refund_makes_a_negative_receipt(localstripe: str, administrator_user: Any) -> None:
    pledge = PledgeFactory.create(amount_cents=5000, frequency=PledgeFrequency.ONE_TIME)
    payment = pay(localstripe, pledge)

    refund = payment_refund(payment=payment, amount_cents=5000, actor=administrator_user)

    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.stripe_refund_id is not None
    assert refund.stripe_refund_id.startswith("re_")
    negative = Receipt.objects.get(refund=refund)
    assert (negative.gross_cents, negative.net_cents) == (-5000, -5000)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert account_balance_cents(kind=AccountKind.STRIPE_CLEARING) == 0
    assert books_check() == []


@pytest.mark.parametrize(
    ("cents", "currency", "expected"),
    [(5000, "EUR", (5000, "eur")), (1, "eur", (1, "eur")), (1500, "JPY", (15, "jpy"))],
)
def test_amounts_to_stripe(cents: int, currency: str, expected: tuple[int, str]) -> None:
    assert amounts.to_stripe(amount_cents=cents, currency=currency) == expected
    assert amounts.from_stripe(amount=expected[0], currency=currency) == cents


@pytest.mark.parametrize("bad", [12.5, "5000", True])
def test_amounts_refuse_anything_but_integers(bad: Any) -> None:
    with pytest.raises(amounts.AmountError):
        amounts.to_stripe(amount_cents=bad, currency="EUR")


def test_amounts_refuse_cents_of_a_zero_decimal_currency() -> None:
    with pytest.raises(amounts.AmountError):
        amounts.to_stripe(amount_cents=1550, currency="JPY")


def test_a_secret_contributor_is_anonymous_at_stripe(localstripe: str) -> None:
    pledge = PledgeFactory.create(contributor__visibility="secret")
    stripe_checkout_start(pledge=pledge, email="hidden@example.org")
    named = PledgeFactory.create(contributor__visibility="named", contributor__name="Alice N")
    stripe_checkout_start(pledge=named, email="alice@example.org")

    customers = {
        c["id"]: (c["email"], c.get("name"))
        for c in localstripe_call(localstripe, "GET", "/v1/customers?limit=100")["data"]
    }
    pledge.refresh_from_db()
    named.refresh_from_db()
    assert customers[pledge.stripe_customer_id] == (None, None)
    assert customers[named.stripe_customer_id] == ("alice@example.org", "Alice N")
