"""The Stripe services on answers localstripe never gives: a payment with no
PaymentIntent, an intent that is none of ours, refunds failed or cancelled on
Stripe's side, a dispute on a payment we do not know, an unknown intent status."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, cast

import pytest
from django.db import IntegrityError

from contributors.enums import PledgeFrequency, PledgeStatus
from contributors.models import Pledge
from funds.enums import PaymentEventSource, PaymentStatus, RefundKind, RefundStatus
from funds.models import Payment, Refund, StripeEvent
from funds.services import refund_record
from funds.stripe.client import (
    DisputeState,
    EventState,
    GatewayCardError,
    GatewayError,
    IntentState,
    RefundState,
    SetupState,
    StripeGateway,
    use_gateway,
)
from funds.stripe.refunds import dispute_sync, payment_refund, refunds_sync
from funds.stripe.renewals import ChargeRun, pledges_charge_due
from funds.stripe.services import (
    RETRY_DELAYS_DAYS,
    StripePaymentError,
    payment_apply_intent,
    payment_charge,
    payment_for_intent,
    payment_sync,
    stripe_checkout_complete,
)
from funds.stripe.webhooks import Reconciliation, stripe_event_process, stripe_reconcile
from tests.factories.contributors import PledgeFactory
from tests.factories.funds import PaymentEventFactory, PaymentFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
SYNC = PaymentEventSource.STRIPE_SYNC
INTENT = IntentState(
    id="pi_1",
    status="processing",
    amount_cents=5000,
    currency="EUR",
    customer="cus_1",
    payment_method="pm_1",
    client_secret="",
    charge_id=None,
    balance_transaction_id=None,
    failure_code="",
    failure_message="",
)


class ScriptedStripe(StripeGateway):
    """Answers the refund list and the dispute from a script; nothing else."""

    def __init__(self) -> None:
        super().__init__(secret_key="sk_test_scripted", api_base=None, webhook_secret="whsec_x")
        self.refunds: list[RefundState] = []
        self.dispute: DisputeState | None = None

    def refund_list(self, *, payment_intent_id: str) -> list[RefundState]:
        return self.refunds

    def dispute_retrieve(self, dispute_id: str) -> DisputeState:
        assert self.dispute is not None
        return self.dispute


@pytest.fixture
def scripted() -> Iterator[ScriptedStripe]:
    stripe = ScriptedStripe()
    with use_gateway(stripe):
        yield stripe


def test_a_payment_without_a_payment_intent_has_nothing_to_sync_or_refund() -> None:
    payment = PaymentFactory.create(status=PaymentStatus.SUCCEEDED)
    assert payment_sync(payment=payment, source=SYNC) == payment
    assert refunds_sync(payment=payment, source=SYNC) == []
    with pytest.raises(StripePaymentError) as caught:
        payment_refund(payment=payment, amount_cents=100, actor=None)
    assert str(caught.value) == "This payment did not go through Stripe."
    assert Refund.objects.count() == 0


@pytest.mark.parametrize(
    "metadata",
    [
        {},
        {"payment": "not-a-number"},
        {"payment": "999999"},
        {"payment": "²"},
        {"payment": "9" * 5000},
    ],
)
def test_an_intent_that_names_none_of_our_payments_is_not_ours(metadata: dict[str, str]) -> None:
    PaymentFactory.create(stripe_payment_intent_id=None)
    assert payment_for_intent(replace(INTENT, id="pi_unknown", metadata=metadata)) is None
    assert Payment.objects.exclude(stripe_payment_intent_id=None).count() == 0


@pytest.mark.parametrize(
    ("start", "intent_status", "end"),
    [
        (PaymentStatus.PENDING, "processing", PaymentStatus.PENDING),
        (PaymentStatus.PENDING, "succeeded", PaymentStatus.PENDING),
        (PaymentStatus.CREATED, "a_status_stripe_adds_later", PaymentStatus.CREATED),
    ],
    ids=["still-processing", "sepa-not-settled", "unknown-status"],
)
def test_an_intent_that_changes_nothing_leaves_the_payment(
    start: str, intent_status: str, end: str
) -> None:
    payment = PaymentFactory.create(status=start, stripe_payment_intent_id="pi_1")
    events = payment.events.count()
    applied = payment_apply_intent(
        payment=payment, intent=replace(INTENT, status=intent_status), source=SYNC
    )
    assert (applied.status, applied.events.count()) == (end, events)


def test_refunds_failed_or_cancelled_on_stripe(scripted: ScriptedStripe) -> None:
    payment = PaymentFactory.create(
        status=PaymentStatus.SUCCEEDED, amount_cents=5000, stripe_payment_intent_id="pi_1"
    )
    ours = refund_record(
        payment=payment, kind=RefundKind.REFUND, amount_cents=1000, stripe_refund_id="re_ours"
    )
    scripted.refunds = [
        RefundState("re_ours", "failed", 1000, "pi_1", None),
        RefundState("re_dashboard", "canceled", 2000, "pi_1", None),
        RefundState("re_waiting", "pending", 500, "pi_1", None),
    ]
    synced = refunds_sync(payment=payment, source=SYNC)
    assert [(r.stripe_refund_id, r.status) for r in synced] == [
        ("re_ours", RefundStatus.FAILED),
        ("re_waiting", RefundStatus.PENDING),
    ]
    assert synced[0].pk == ours.pk
    assert Refund.objects.filter(stripe_refund_id="re_dashboard").count() == 0


def test_a_dispute_on_a_payment_we_do_not_know_is_not_ours(scripted: ScriptedStripe) -> None:
    PaymentFactory.create(status=PaymentStatus.SUCCEEDED, stripe_payment_intent_id="pi_1")
    scripted.dispute = DisputeState("dp_1", "needs_response", 5000, "pi_elsewhere", 1500)
    assert dispute_sync(dispute_id="dp_1", source=SYNC) is None
    scripted.dispute = DisputeState("dp_2", "needs_response", 5000, None, 1500)
    assert dispute_sync(dispute_id="dp_2", source=SYNC) is None
    assert Refund.objects.count() == 0


class NothingOfOursStripe(ScriptedStripe):
    """An intent and a charge that belong to no payment of ours."""

    def payment_intent_retrieve(self, payment_intent_id: str) -> IntentState:
        return replace(INTENT, id=payment_intent_id)

    def charge_payment_intent_id(self, charge_id: str) -> str | None:
        return None if charge_id == "ch_bare" else "pi_elsewhere"


@pytest.mark.parametrize(
    ("event_type", "object_id"),
    [
        ("payment_intent.succeeded", "pi_elsewhere"),
        ("charge.refunded", "ch_bare"),
        ("charge.refunded", "ch_elsewhere"),
        ("refund.updated", "re_elsewhere"),
    ],
)
def test_an_event_about_nothing_of_ours_changes_nothing(event_type: str, object_id: str) -> None:
    payment = PaymentFactory.create(status=PaymentStatus.PENDING, stripe_payment_intent_id="pi_1")
    event = EventState("evt_1", event_type, False, object_id, 1_700_000_000)
    with use_gateway(NothingOfOursStripe()):
        assert stripe_event_process(event=event, source=PaymentEventSource.STRIPE_WEBHOOK)
    payment.refresh_from_db()
    assert (payment.status, payment.events.count(), Refund.objects.count()) == (
        PaymentStatus.PENDING,
        0,
        0,
    )


class QuietStripe(NothingOfOursStripe):
    """No event and no new intent since the last run; an old intent still processing."""

    def event_list(self, *, created_gte: int) -> list[EventState]:
        return []

    def payment_intent_list(self, *, created_gte: int) -> list[IntentState]:
        return []


def test_reconciliation_refetches_an_older_pending_payment() -> None:
    payment = PaymentFactory.create(status=PaymentStatus.PENDING, stripe_payment_intent_id="pi_old")
    with use_gateway(QuietStripe()):
        result = stripe_reconcile(since=datetime(2026, 3, 1, tzinfo=UTC))
    assert result == Reconciliation(events_applied=0, payments_synced=1, claims_resumed=0)
    payment.refresh_from_db()
    assert (payment.status, payment.events.count()) == (PaymentStatus.PENDING, 0)


def test_a_created_payment_whose_intent_processes_becomes_pending() -> None:
    payment = PaymentFactory.create(status=PaymentStatus.CREATED, stripe_payment_intent_id="pi_1")
    applied = payment_apply_intent(payment=payment, intent=INTENT, source=SYNC)
    assert (applied.status, list(applied.events.values_list("status", flat=True))) == (
        PaymentStatus.PENDING,
        [PaymentStatus.PENDING],
    )


class DecliningStripe(ScriptedStripe):
    """Every charge is declined; `with_intent` says whether Stripe made an intent."""

    def __init__(self, *, with_intent: bool = True, down: bool = False) -> None:
        super().__init__()
        self.with_intent = with_intent
        self.down = down

    def payment_intent_create(self, **kwargs: Any) -> IntentState:
        if self.down:
            raise GatewayError("Stripe is unreachable")
        raise GatewayCardError(
            code="card_declined",
            message="Your card was declined.",
            payment_intent_id="pi_declined" if self.with_intent else None,
        )


def test_a_declined_charge_keeps_the_intent_stripe_made() -> None:
    pledge = PledgeFactory.create(stripe_customer_id="cus_1", stripe_payment_method_id="pm_1")
    payment = PaymentFactory.create(pledge=pledge, status=PaymentStatus.CREATED)
    with use_gateway(DecliningStripe()):
        charged = payment_charge(payment=payment, off_session=True)
    assert (
        charged.status,
        charged.stripe_payment_intent_id,
        charged.failure_code,
        charged.failure_message,
    ) == (PaymentStatus.FAILED, "pi_declined", "card_declined", "Your card was declined.")


def _failed_month(pledge: Pledge, *, attempt: int, failed_on: date) -> Payment:
    payment = PaymentFactory.create(
        pledge=pledge,
        status=PaymentStatus.FAILED,
        period_date=date(2027, 1, 1),
        attempt=attempt,
    )
    at = datetime.combine(failed_on, datetime.min.time(), UTC).replace(hour=12)
    PaymentEventFactory.create(payment=payment, status=PaymentStatus.FAILED, at=at)
    return payment


@pytest.mark.parametrize(
    ("attempt", "pledge_status", "method", "down"),
    [
        (len(RETRY_DELAYS_DAYS) + 1, PledgeStatus.ACTIVE, "pm_1", False),
        (1, PledgeStatus.SUSPENDED, "pm_1", False),
        (1, PledgeStatus.ACTIVE, "", False),
        (1, PledgeStatus.ACTIVE, "pm_1", True),
    ],
    ids=["no-attempt-left", "pledge-suspended", "method-removed", "stripe-down"],
)
def test_a_failed_month_not_to_retry_now_is_left(
    attempt: int, pledge_status: str, method: str, down: bool
) -> None:
    pledge = PledgeFactory.create(
        frequency=PledgeFrequency.MONTHLY,
        status=pledge_status,
        stripe_customer_id="cus_1",
        stripe_payment_method_id=method,
        next_charge_date=date(2027, 2, 25),
    )
    failed = _failed_month(pledge, attempt=attempt, failed_on=date(2027, 1, 1))
    with use_gateway(DecliningStripe(down=down)):
        run = pledges_charge_due(today=date(2027, 1, 20))
    assert run == ChargeRun(charged=0, retried=0)
    # Stripe down: the retry is claimed, unanswered, and left for reconciliation.
    retries = Payment.objects.filter(pledge=pledge).exclude(pk=failed.pk)
    assert list(retries.values_list("attempt", "status")) == (
        [(2, PaymentStatus.PENDING)] if down else []
    )


class ConfirmedStripe(ScriptedStripe):
    """Stripe.js confirmed the SetupIntent of `pledge`; the charge is processing."""

    def __init__(self, pledge: Pledge) -> None:
        super().__init__()
        self.pledge = pledge
        self.charges = 0

    def setup_intent_retrieve(self, setup_intent_id: str) -> SetupState:
        return SetupState(
            id=setup_intent_id,
            status="succeeded",
            customer="cus_1",
            payment_method="pm_1",
            client_secret="",
            metadata={"pledge": str(self.pledge.pk)},
        )

    def payment_intent_create(self, **kwargs: Any) -> IntentState:
        self.charges += 1
        return replace(INTENT, id=f"pi_{self.charges}")

    def payment_intent_retrieve(self, payment_intent_id: str) -> IntentState:
        return replace(INTENT, id=payment_intent_id)


def test_a_double_submit_charges_the_payment_already_made() -> None:
    pledge = PledgeFactory.create(stripe_customer_id="cus_1")
    made = PaymentFactory.create(pledge=pledge, status=PaymentStatus.CREATED)
    stripe = ConfirmedStripe(pledge)
    with use_gateway(stripe):
        result = stripe_checkout_complete(pledge=pledge, setup_intent_id="seti_1")
    assert (result.payment.pk, result.payment.status, result.action_client_secret) == (
        made.pk,
        PaymentStatus.PENDING,
        "",
    )
    assert (stripe.charges, Payment.objects.filter(pledge=pledge).count()) == (1, 1)


def test_an_event_the_database_refuses_to_store_raises_its_own_error() -> None:
    # No mode: the database refuses the row; nothing is stored, nothing handled.
    nameless = EventState("evt_1", "payment_intent.succeeded", cast("bool", None), "pi_1", 0)
    with pytest.raises(IntegrityError):
        stripe_event_process(event=nameless, source=PaymentEventSource.STRIPE_WEBHOOK)
    assert StripeEvent.objects.count() == 0


def test_charging_a_payment_already_claimed_asks_stripe_nothing() -> None:
    payment = PaymentFactory.create(status=PaymentStatus.SUCCEEDED)
    with use_gateway(cast("StripeGateway", object())):  # any call to Stripe would fail
        charged = payment_charge(payment=payment, off_session=True)
    assert (charged.pk, charged.status) == (payment.pk, PaymentStatus.SUCCEEDED)
