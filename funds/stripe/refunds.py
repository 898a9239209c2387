"""Stripe refunds and disputes: an administrator's refund, and the refunds
and disputes made on Stripe's side, re-fetched (`*_sync`) or applied as a
booking read them from Stripe beforehand (`*_apply`)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from funds.enums import PaymentEventSource, RefundKind, RefundStatus
from funds.models import Payment, Refund
from funds.services import refund_fail, refund_record, refund_succeed
from funds.stripe.client import DisputeState, RefundState, gateway
from funds.stripe.services import StripePaymentError


def payment_refund(*, payment: Payment, amount_cents: int, actor: Any, reason: str = "") -> Refund:
    """An administrator refunds (part of) a Stripe payment: the refund row
    first (its id keys the Stripe call ``refund_{id}``), then Stripe, then the
    negative receipt once Stripe says the money went back."""
    if not payment.stripe_payment_intent_id:
        raise StripePaymentError(_("This payment did not go through Stripe."))
    refund = refund_record(
        payment=payment,
        kind=RefundKind.REFUND,
        amount_cents=amount_cents,
        reason=reason,
        actor=actor,
    )
    state = gateway().refund_create(
        payment_intent_id=payment.stripe_payment_intent_id,
        amount_cents=amount_cents,
        currency=payment.currency,
        idempotency_key=f"refund_{refund.pk}",
    )
    Refund.objects.filter(pk=refund.pk, stripe_refund_id=None).update(stripe_refund_id=state.id)
    return _refund_apply(refund=refund, state=state, source=PaymentEventSource.SYSTEM, actor=actor)


def _refund_apply(
    *,
    refund: Refund,
    state: RefundState,
    source: PaymentEventSource | str,
    stripe_event_id: str = "",
    actor: Any = None,
) -> Refund:
    if state.status == "succeeded":
        refund_succeed(
            refund=refund,
            received_at=timezone.now(),
            source=source,
            stripe_event_id=stripe_event_id,
            actor=actor,
        )
    elif state.status in {"failed", "canceled"} and refund.status == RefundStatus.PENDING:
        refund_fail(refund=refund, actor=actor)
    return Refund.objects.get(pk=refund.pk)


def refunds_sync(
    *, payment: Payment, source: PaymentEventSource | str, stripe_event_id: str = ""
) -> list[Refund]:
    """Refunds made on Stripe's side (dashboard): each one, re-fetched, gets
    its row for review and, once it succeeded, its negative receipt."""
    if not payment.stripe_payment_intent_id:
        return []
    states = gateway().refund_list(payment_intent_id=payment.stripe_payment_intent_id)
    return refunds_apply(
        payment=payment, states=states, source=source, stripe_event_id=stripe_event_id
    )


def refunds_apply(
    *,
    payment: Payment,
    states: list[RefundState],
    source: PaymentEventSource | str,
    stripe_event_id: str = "",
) -> list[Refund]:
    """Apply the refunds of `payment` as Stripe listed them (`refunds_sync`)."""
    result = []
    for state in states:
        refund = Refund.objects.filter(stripe_refund_id=state.id).first()
        if refund is None:
            if state.status in {"failed", "canceled"}:
                continue
            refund = refund_record(
                payment=payment,
                kind=RefundKind.REFUND,
                amount_cents=state.amount_cents,
                reason="Stripe",
                stripe_refund_id=state.id,
                source=source,
                stripe_event_id=stripe_event_id,
            )
        result.append(
            _refund_apply(
                refund=refund, state=state, source=source, stripe_event_id=stripe_event_id
            )
        )
    return result


def dispute_sync(
    *, dispute_id: str, source: PaymentEventSource | str, stripe_event_id: str = ""
) -> Refund | None:
    """A dispute (chargeback), re-fetched: opened for review, lost (a negative
    receipt with the dispute fee) or won (no money moved)."""
    return dispute_apply(
        dispute=gateway().dispute_retrieve(dispute_id),
        source=source,
        stripe_event_id=stripe_event_id,
    )


def dispute_apply(
    *, dispute: DisputeState, source: PaymentEventSource | str, stripe_event_id: str = ""
) -> Refund | None:
    """Apply a dispute as Stripe has it (`dispute_sync`); None if not of our payments."""
    payment = Payment.objects.filter(stripe_payment_intent_id=dispute.payment_intent_id).first()
    if payment is None or dispute.payment_intent_id is None:
        return None
    refund = refund_record(
        payment=payment,
        kind=RefundKind.DISPUTE,
        amount_cents=dispute.amount_cents,
        reason="Stripe dispute",
        stripe_dispute_id=dispute.id,
        source=source,
        stripe_event_id=stripe_event_id,
    )
    if dispute.status == "lost":
        refund_succeed(
            refund=refund,
            received_at=timezone.now(),
            processor_fee_cents=dispute.fee_cents,
            source=source,
            stripe_event_id=stripe_event_id,
        )
    elif dispute.status == "won" and refund.status == RefundStatus.PENDING:
        refund_fail(refund=refund)
    return Refund.objects.get(pk=refund.pk)
