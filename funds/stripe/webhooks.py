"""Stripe events, from the webhook or from reconciliation.

An event is trusted only with a valid signature on the raw body (300 s
tolerance) and our live/test mode. Its id is inserted with ON CONFLICT DO
NOTHING in the same transaction as its effects: the same event delivered 50
times at once books once, and an event whose effects fail is not stored, so
Stripe delivers it again. Effects never trust the event's copy of the object:
the object is re-fetched from Stripe, so order and repetition do not matter."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from contributors.services import ContributionError
from funds.enums import PaymentEventSource, PaymentStatus
from funds.models import Payment, Refund, StripeEvent
from funds.services import PaymentError
from funds.stripe.client import EventState, gateway
from funds.stripe.services import (
    STALE_CLAIM,
    STRIPE_METHOD_TYPES,
    dispute_sync,
    payment_apply_intent,
    payment_charge,
    payment_for_intent,
    payment_sync,
    refunds_sync,
    stripe_time,
)

logger = logging.getLogger(__name__)

INTENT_EVENTS = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.processing",
        "payment_intent.canceled",
        "payment_intent.requires_action",
    }
)
REFUND_EVENTS = frozenset(
    {"charge.refunded", "charge.refund.updated", "refund.created", "refund.updated"}
)
DISPUTE_EVENTS = frozenset(
    {
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated",
    }
)


def _event_insert(event: EventState, source: PaymentEventSource) -> bool:
    """Store the event id; False when it is already stored (or being stored by
    a concurrent transaction, which this one then waits for)."""
    table = StripeEvent._meta.db_table  # noqa: SLF001 -- Django's public model metadata
    created_at = stripe_time(event.created) if event.created else None
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} "  # noqa: S608 -- the table name is ours
            "(stripe_event_id, type, object_id, livemode, source, created_on_stripe_at, "
            "received_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (stripe_event_id) DO NOTHING RETURNING id",
            [
                event.id,
                event.type[:100],
                event.object_id[:255],
                event.livemode,
                source.value,
                created_at,
                timezone.now(),
            ],
        )
        return cursor.fetchone() is not None


def _payment_of_charge(charge_id: str) -> Payment | None:
    intent_id = gateway().charge_payment_intent_id(charge_id)
    if intent_id is None:
        return None
    return Payment.objects.filter(stripe_payment_intent_id=intent_id).first()


def _dispatch(event: EventState, source: PaymentEventSource) -> None:
    if event.type in INTENT_EVENTS:
        intent = gateway().payment_intent_retrieve(event.object_id)
        payment = payment_for_intent(intent)
        if payment is not None:
            payment_apply_intent(
                payment=payment, intent=intent, source=source, stripe_event_id=event.id
            )
    elif event.type in REFUND_EVENTS:
        object_id = event.object_id
        payment = (
            _payment_of_charge(object_id)
            if object_id.startswith("ch_")
            else _payment_of_refund(object_id)
        )
        if payment is not None:
            refunds_sync(payment=payment, source=source, stripe_event_id=event.id)
    elif event.type in DISPUTE_EVENTS:
        dispute_sync(dispute_id=event.object_id, source=source, stripe_event_id=event.id)


def _payment_of_refund(refund_id: str) -> Payment | None:
    refund = Refund.objects.filter(stripe_refund_id=refund_id).select_related("payment").first()
    return refund.payment if refund is not None else None


def stripe_event_process(*, event: EventState, source: PaymentEventSource) -> bool:
    """Apply one verified event once. True if it was new. A domain refusal
    (an impossible transition) is logged and the event kept, so it is not
    delivered forever; an unreachable Stripe rolls everything back."""
    with transaction.atomic():
        if not _event_insert(event, source):
            return False
        try:
            with transaction.atomic():
                _dispatch(event, source)
        except (PaymentError, ContributionError):
            logger.exception("stripe event refused", extra={"event": event.id, "type": event.type})
    return True


def webhook_receive(*, payload: bytes, signature_header: str) -> bool:
    """The webhook endpoint's one call: verify (raises `SignatureError`), then process."""
    event = gateway().event_verify(payload=payload, signature_header=signature_header)
    return stripe_event_process(event=event, source=PaymentEventSource.STRIPE_WEBHOOK)


@dataclass(frozen=True)
class Reconciliation:
    events_applied: int
    payments_synced: int
    claims_resumed: int


def stripe_reconcile(*, since: datetime) -> Reconciliation:
    """Recover lost webhooks: apply every event since `since` not yet stored,
    bring our payments of the PaymentIntents made since then to Stripe's state
    (found by id or by our metadata), re-fetch every other pending Stripe
    payment, and charge again (same idempotency key) a claimed payment that
    never got its PaymentIntent."""
    client = gateway()
    events = sorted(
        client.event_list(created_gte=int(since.timestamp())), key=lambda e: (e.created, e.id)
    )
    applied = sum(
        1
        for event in events
        if event.livemode == client.livemode
        and stripe_event_process(event=event, source=PaymentEventSource.STRIPE_SYNC)
    )
    synced = 0
    for intent in client.payment_intent_list(created_gte=int(since.timestamp())):
        payment = payment_for_intent(intent)
        if payment is not None and payment.status in {PaymentStatus.CREATED, PaymentStatus.PENDING}:
            payment_apply_intent(
                payment=payment, intent=intent, source=PaymentEventSource.STRIPE_SYNC
            )
            synced += 1
    pending = Payment.objects.filter(
        status=PaymentStatus.PENDING, method__in=list(STRIPE_METHOD_TYPES)
    )
    for payment in pending.exclude(stripe_payment_intent_id=None):
        payment_sync(payment=payment, source=PaymentEventSource.STRIPE_SYNC)
        synced += 1
    resumed = 0
    stale = timezone.now() - STALE_CLAIM
    for payment in pending.filter(stripe_payment_intent_id=None, updated_at__lt=stale):
        payment_charge(payment=payment, off_session=True, resume=True)
        resumed += 1
    return Reconciliation(events_applied=applied, payments_synced=synced, claims_resumed=resumed)


RECONCILE_WINDOW = timedelta(days=3)
