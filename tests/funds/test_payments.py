from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError

from contributors.enums import PledgeFrequency, PledgeStatus
from funds.enums import (
    AccountKind,
    PaymentEventSource,
    PaymentMethod,
    PaymentStatus,
    RefundKind,
    RefundStatus,
)
from funds.models import Journal, Payment, PaymentEvent, Receipt
from funds.selectors import account_balance_cents, books_check
from funds.services import (
    PaymentError,
    payment_attach_stripe_intent,
    payment_create,
    payment_succeed,
    payment_transition,
    receipt_record_for_payment,
    refund_fail,
    refund_record,
    refund_succeed,
)
from tests.factories.contributors import EarmarkFactory, PledgeFactory
from tests.factories.funds import PaymentFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
AT = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def _succeeded(amount: int = 5000, fee: int = 90, **pledge: object) -> tuple[Payment, Receipt]:
    payment = PaymentFactory.create(pledge=PledgeFactory.create(amount_cents=amount, **pledge))
    receipt = payment_succeed(
        payment=payment,
        gross_cents=amount,
        processor_fee_cents=fee,
        received_at=AT,
        source=PaymentEventSource.STRIPE_WEBHOOK,
        stripe_event_id="evt_1",
    )
    return payment, receipt


def test_payment_create_is_idempotent_on_its_key() -> None:
    pledge = PledgeFactory.create()
    first = payment_create(
        pledge=pledge, method=PaymentMethod.CARD, amount_cents=5000, idempotency_key="k-1"
    )
    again = payment_create(
        pledge=pledge, method=PaymentMethod.CARD, amount_cents=5000, idempotency_key="k-1"
    )
    assert again.pk == first.pk
    assert list(PaymentEvent.objects.values_list("status", flat=True)) == ["created"]


@pytest.mark.parametrize("amount", [0, -5, 12.5, True])
def test_payment_amount_must_be_positive_cents(amount: object) -> None:
    with pytest.raises(PaymentError):
        payment_create(
            pledge=PledgeFactory.create(),
            method=PaymentMethod.CARD,
            amount_cents=amount,  # type: ignore[arg-type]
            idempotency_key="k",
        )


def test_transitions_follow_the_map_and_replays_are_no_ops() -> None:
    payment = PaymentFactory.create()
    payment_transition(payment=payment, to_status="pending", source="stripe_webhook")
    payment_transition(payment=payment, to_status="pending", source="stripe_webhook")
    payment = payment_transition(
        payment=payment,
        to_status="failed",
        source="stripe_webhook",
        stripe_event_id="evt_9",
        failure_code="card_declined",
        failure_message="Your card was declined.",
    )
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_code == "card_declined"
    assert list(payment.events.values_list("status", "stripe_event_id")) == [
        ("pending", ""),
        ("failed", "evt_9"),
    ]
    with pytest.raises(PaymentError, match="cannot go from failed to succeeded"):
        payment_transition(payment=payment, to_status="succeeded", source="system")


def test_success_makes_one_receipt_with_fee_snapshot_and_journal() -> None:
    pledge = PledgeFactory.create(amount_cents=5000, frequency=PledgeFrequency.MONTHLY)
    earmark = EarmarkFactory.create(pledge=pledge, share_bp=3000)
    payment = PaymentFactory.create(pledge=pledge)
    receipt = payment_succeed(
        payment=payment,
        gross_cents=5000,
        processor_fee_cents=90,
        received_at=AT,
        source=PaymentEventSource.STRIPE_WEBHOOK,
    )
    again = payment_succeed(
        payment=payment,
        gross_cents=5000,
        processor_fee_cents=90,
        received_at=AT,
        source=PaymentEventSource.STRIPE_SYNC,
    )
    assert again.pk == receipt.pk
    assert (receipt.gross_cents, receipt.processor_fee_cents, receipt.net_cents) == (5000, 90, 4910)
    assert receipt.earmarks == [{"project_id": earmark.project_id, "share_bp": 3000}]
    assert Receipt.objects.count() == 1
    assert Journal.objects.count() == 1
    assert account_balance_cents(kind=AccountKind.STRIPE_CLEARING) == 4910
    assert account_balance_cents(kind=AccountKind.PROCESSOR_FEES) == 90
    assert account_balance_cents(kind=AccountKind.UNALLOCATED) == 5000
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.ACTIVE
    assert pledge.next_charge_date is not None
    # Later edits of the pledge never rewrite the snapshot.
    earmark.delete()
    receipt.refresh_from_db()
    assert receipt.earmarks == [{"project_id": earmark.project_id, "share_bp": 3000}]
    assert books_check() == []


def test_one_time_pledge_is_completed_by_its_payment() -> None:
    payment, _receipt = _succeeded()
    payment.pledge.refresh_from_db()
    assert payment.pledge.status == PledgeStatus.COMPLETED


def test_no_receipt_before_success_and_no_bad_amounts() -> None:
    payment = PaymentFactory.create()
    with pytest.raises(PaymentError, match="has not succeeded"):
        receipt_record_for_payment(
            payment=payment, gross_cents=5000, processor_fee_cents=0, received_at=AT
        )
    with pytest.raises(PaymentError):
        receipt_record_for_payment(
            payment=payment, gross_cents=100, processor_fee_cents=101, received_at=AT
        )
    assert Receipt.objects.count() == 0


def test_full_refund_is_a_negative_receipt_and_marks_the_payment_refunded() -> None:
    payment, receipt = _succeeded()
    refund = refund_record(
        payment=payment, kind=RefundKind.REFUND, amount_cents=5000, stripe_refund_id="re_1"
    )
    assert (
        refund_record(
            payment=payment, kind=RefundKind.REFUND, amount_cents=5000, stripe_refund_id="re_1"
        ).pk
        == refund.pk
    )
    negative = refund_succeed(refund=refund, received_at=AT)
    assert refund_succeed(refund=refund, received_at=AT).pk == negative.pk
    assert (negative.gross_cents, negative.processor_fee_cents, negative.net_cents) == (
        -5000,
        0,
        -5000,
    )
    assert negative.reverses_id == receipt.pk
    assert negative.earmarks == receipt.earmarks
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert account_balance_cents(kind=AccountKind.UNALLOCATED) == 0
    assert account_balance_cents(kind=AccountKind.STRIPE_CLEARING) == -90
    assert books_check() == []


def test_partial_refund_keeps_the_payment_succeeded_and_refunds_cannot_exceed_it() -> None:
    payment, _receipt = _succeeded()
    refund = refund_record(payment=payment, kind=RefundKind.REFUND, amount_cents=2000)
    refund_succeed(refund=refund, received_at=AT)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    with pytest.raises(PaymentError, match="cannot exceed"):
        refund_record(payment=payment, kind=RefundKind.REFUND, amount_cents=3001)
    assert account_balance_cents(kind=AccountKind.UNALLOCATED) == 3000


def test_dispute_marks_disputed_lost_books_fee_won_moves_nothing() -> None:
    payment, _receipt = _succeeded()
    dispute = refund_record(
        payment=payment, kind=RefundKind.DISPUTE, amount_cents=5000, stripe_dispute_id="dp_1"
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.DISPUTED
    negative = refund_succeed(refund=dispute, received_at=AT, processor_fee_cents=1500)
    assert (negative.gross_cents, negative.net_cents) == (-5000, -6500)
    assert account_balance_cents(kind=AccountKind.PROCESSOR_FEES) == 1590
    assert books_check() == []

    other, _ = _succeeded()
    won = refund_record(payment=other, kind=RefundKind.DISPUTE, amount_cents=5000)
    assert refund_fail(refund=won).status == RefundStatus.FAILED
    with pytest.raises(PaymentError, match="moved no money"):
        refund_succeed(refund=won, received_at=AT)


def test_late_report_of_an_earlier_status_is_harmless() -> None:
    payment, receipt = _succeeded()
    refund = refund_record(payment=payment, kind=RefundKind.REFUND, amount_cents=5000)
    refund_succeed(refund=refund, received_at=AT)
    # payment_intent.succeeded delivered again after the refund: nothing changes.
    again = payment_succeed(
        payment=payment,
        gross_cents=5000,
        processor_fee_cents=90,
        received_at=AT,
        source=PaymentEventSource.STRIPE_WEBHOOK,
    )
    assert again.pk == receipt.pk
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert Receipt.objects.count() == 2
    assert books_check() == []


def test_a_payment_keeps_its_first_payment_intent() -> None:
    payment = PaymentFactory.create()
    assert (
        payment_attach_stripe_intent(
            payment=payment, stripe_payment_intent_id="pi_first"
        ).stripe_payment_intent_id
        == "pi_first"
    )
    same = payment_attach_stripe_intent(payment=payment, stripe_payment_intent_id="pi_first")
    assert same.stripe_payment_intent_id == "pi_first"
    with pytest.raises(PaymentError) as caught:
        payment_attach_stripe_intent(payment=payment, stripe_payment_intent_id="pi_other")
    assert str(caught.value) == f"Payment #{payment.pk} already has another PaymentIntent."
    payment.refresh_from_db()
    assert payment.stripe_payment_intent_id == "pi_first"


def test_a_second_attempt_numbered_like_the_first_is_refused_by_the_database() -> None:
    pledge = PledgeFactory.create(frequency=PledgeFrequency.MONTHLY)

    def attempt(key: str) -> Payment:
        return payment_create(
            pledge=pledge,
            method=PaymentMethod.CARD,
            amount_cents=5000,
            idempotency_key=key,
            period_date=date(2026, 3, 1),
        )

    attempt("month-a")
    with pytest.raises(IntegrityError):
        attempt("month-b")
    assert list(Payment.objects.values_list("idempotency_key", flat=True)) == ["month-a"]
