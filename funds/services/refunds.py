"""Refunds and disputes: reviewed by an administrator, booked as negative receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from funds.enums import (
    REFUND_TRANSITIONS,
    PaymentEventSource,
    PaymentStatus,
    RefundKind,
    RefundStatus,
)
from funds.models import (
    Payment,
    Receipt,
    Refund,
)
from funds.money import MoneyError, positive_money
from funds.services.payments import (
    RECEIPTABLE_STATUSES,
    PaymentError,
    _check_amounts,
    _receipt_journal,
    payment_transition,
    receipt_earmarks_record,
)
from librery.services import log_action
from librery.transitions import transition


def _refundable_cents(payment: Payment) -> int:
    """What was actually received for the payment (its receipt), else its amount."""
    gross = (
        Receipt.objects.filter(payment=payment, refund__isnull=True)
        .values_list("gross_cents", flat=True)
        .first()
    )
    return payment.amount_cents if gross is None else gross


def _refund_refused(refund: Refund, _to_status: str) -> str:
    if refund.status == RefundStatus.FAILED:
        return f"Refund #{refund.pk} failed; it moved no money."
    return f"Refund #{refund.pk} already succeeded."


def refund_record(
    *,
    payment: Payment,
    kind: RefundKind | str,
    amount_cents: int,
    reason: str = "",
    stripe_refund_id: str | None = None,
    stripe_dispute_id: str | None = None,
    source: PaymentEventSource | str = PaymentEventSource.SYSTEM,
    stripe_event_id: str = "",
    actor: Any = None,
) -> Refund:
    """A refund or a dispute opened on a succeeded payment, for an
    administrator to review. Idempotent on the Stripe id. A dispute marks the
    payment disputed."""
    kind = RefundKind(kind)
    try:
        positive_money(amount_cents, payment.currency)
    except MoneyError:
        raise PaymentError("A refund is a positive whole number of cents.") from None
    with transaction.atomic():
        locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        lookup: dict[str, str] = {}
        if stripe_refund_id:
            lookup["stripe_refund_id"] = stripe_refund_id
        if stripe_dispute_id:
            lookup["stripe_dispute_id"] = stripe_dispute_id
        if lookup:
            existing = Refund.objects.filter(**lookup).first()
            if existing is not None:
                return existing
        if locked.status not in RECEIPTABLE_STATUSES:
            raise PaymentError(f"Payment #{locked.pk} has not succeeded ({locked.status}).")
        already = sum(
            Refund.objects.filter(payment=locked)
            .exclude(status=RefundStatus.FAILED)
            .values_list("amount_cents", flat=True)
        )
        if already + amount_cents > _refundable_cents(locked):
            raise PaymentError("Refunds cannot exceed the payment.")
        refund = Refund.objects.create(
            payment=locked,
            kind=kind,
            amount_cents=amount_cents,
            currency=locked.currency,
            reason=reason[:300],
            stripe_refund_id=stripe_refund_id or None,
            stripe_dispute_id=stripe_dispute_id or None,
        )
        log_action(
            action=f"funds.{kind.value}.opened",
            obj=refund,
            actor=actor,
            data={"payment": locked.pk, "amount_cents": amount_cents},
        )
        if kind == RefundKind.DISPUTE:
            payment_transition(
                payment=locked,
                to_status=PaymentStatus.DISPUTED,
                source=source,
                stripe_event_id=stripe_event_id,
                actor=actor,
            )
    return refund


def refund_succeed(
    *,
    refund: Refund,
    received_at: datetime,
    processor_fee_cents: int = 0,
    source: PaymentEventSource | str = PaymentEventSource.SYSTEM,
    stripe_event_id: str = "",
    actor: Any = None,
) -> Receipt:
    """The money went back (a refund paid, a dispute lost): a negative receipt
    carrying the reversed receipt's earmarks, booked in the ledger. A dispute
    fee is `processor_fee_cents`. The payment becomes refunded once refunds
    cover it. Idempotent."""
    _check_amounts(0, processor_fee_cents)
    if processor_fee_cents < 0:
        raise PaymentError("A processor fee cannot be negative.")
    with transaction.atomic():
        locked = Refund.objects.select_for_update(of=("self",)).get(pk=refund.pk)
        existing = Receipt.objects.filter(refund=locked).first()
        if existing is not None:
            return existing
        if locked.status == RefundStatus.FAILED:
            raise PaymentError(_refund_refused(locked, RefundStatus.SUCCEEDED))
        original = Receipt.objects.filter(payment_id=locked.payment_id, refund__isnull=True).first()
        if original is None:
            raise PaymentError(f"Payment #{locked.payment_id} has no receipt to reverse.")
        payment = Payment.objects.get(pk=locked.payment_id)
        gross = -locked.amount_cents
        journal = _receipt_journal(
            key=f"refund-{locked.pk}",
            payment=payment,
            gross_cents=gross,
            fee_cents=processor_fee_cents,
            at=received_at,
            memo=f"{locked.kind} #{locked.pk} of payment #{payment.pk}",
        )
        receipt = Receipt.objects.create(
            payment=payment,
            refund=locked,
            reverses=original,
            pledge_id=original.pledge_id,
            contributor_id=original.contributor_id,
            gross_cents=gross,
            processor_fee_cents=processor_fee_cents,
            net_cents=gross - processor_fee_cents,
            currency=locked.currency,
            received_at=received_at,
            earmarks=original.earmarks,
            journal=journal,
        )
        receipt_earmarks_record(receipt=receipt)
        transition(
            instance=locked,
            to_status=RefundStatus.SUCCEEDED,
            transitions=REFUND_TRANSITIONS,
            action=f"funds.{locked.kind}.succeeded",
            actor=actor,
            data={"receipt": receipt.pk, "gross_cents": gross},
            error_cls=PaymentError,
            message=_refund_refused,
        )
        refunded = sum(
            Refund.objects.filter(payment=payment, status=RefundStatus.SUCCEEDED).values_list(
                "amount_cents", flat=True
            )
        )
        if refunded >= _refundable_cents(payment):
            payment_transition(
                payment=payment,
                to_status=PaymentStatus.REFUNDED,
                source=source,
                at=received_at,
                stripe_event_id=stripe_event_id,
                actor=actor,
            )
    return receipt


def refund_fail(*, refund: Refund, actor: Any = None) -> Refund:
    """The refund did not happen, or the dispute was won: no money moved."""
    locked, _changed = transition(
        instance=refund,
        to_status=RefundStatus.FAILED,
        transitions=REFUND_TRANSITIONS,
        action=f"funds.{refund.kind}.failed",
        actor=actor,
        error_cls=PaymentError,
        message=_refund_refused,
    )
    return locked


def refund_mark_reviewed(*, refund: Refund, actor: Any) -> Refund:
    """An administrator has looked at this refund or dispute."""
    with transaction.atomic():
        locked = Refund.objects.select_for_update(of=("self",)).get(pk=refund.pk)
        if locked.reviewed_at is not None:
            return locked
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.save(update_fields=["reviewed_by", "reviewed_at"])
        log_action(action=f"funds.{locked.kind}.reviewed", obj=locked, actor=actor)
    return locked
