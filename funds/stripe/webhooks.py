"""Stripe events, from the webhook or from reconciliation.

An event is trusted only with a valid signature on the raw body (300 s
tolerance) and our live/test mode. Its id is inserted with ON CONFLICT in the
same transaction as its effects: the same event delivered 50 times at once
books once. Each stored event records how its handling went (`status`,
`error`, `handled_at`): succeeded, ignored (nothing of ours), or failed with
the error. A failed handling rolls its effects back but its record stays
(written outside the effects' transaction), and a failed event is handled
again when it comes again (Stripe delivers it again after a crash, and the
reconciliation lists it). Effects never trust the event's copy of the object:
the object is re-fetched from Stripe, so order and repetition do not matter."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.db import connection, models, transaction
from django.utils import timezone

from contributors.services import ContributionError
from funds.enums import PaymentEventSource, PaymentStatus, StripeEventStatus
from funds.models import Payment, Refund, StripeEvent
from funds.services import PaymentError
from funds.stripe.client import (
    WEBHOOK_TOLERANCE_SECONDS,
    EventFormatError,
    EventState,
    GatewayNotFoundError,
    gateway,
)
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


_TABLE = StripeEvent._meta.db_table  # noqa: SLF001 -- Django's public model metadata
_INSERT = (
    f"INSERT INTO {_TABLE} "  # noqa: S608 -- the table name is ours
    "(stripe_event_id, type, object_id, livemode, source, created_on_stripe_at, "
    "received_at, status, error, handled_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
)


def _max_length(column: str) -> int:
    field = cast("models.CharField[str, str]", StripeEvent._meta.get_field(column))  # noqa: SLF001 -- public metadata
    return int(field.max_length or 0)


_LENGTHS = {
    "id": _max_length("stripe_event_id"),
    "type": _max_length("type"),
    "data.object.id": _max_length("object_id"),
}


def _event_check(event: EventState) -> None:
    """Refuse (`EventFormatError`) an event our columns cannot hold as it is,
    never truncating it, or one created at a time that cannot be."""
    for path, value in (
        ("id", event.id),
        ("type", event.type),
        ("data.object.id", event.object_id),
    ):
        if len(value) > _LENGTHS[path]:
            raise EventFormatError(f'"{path}" is longer than {_LENGTHS[path]} characters.')
    latest = timezone.now().timestamp() + WEBHOOK_TOLERANCE_SECONDS
    if not 0 <= event.created <= latest:
        raise EventFormatError('"created" is not a time.')


def _event_values(
    event: EventState, source: PaymentEventSource, status: StripeEventStatus, error: str
) -> list[Any]:
    now = timezone.now()
    return [
        event.id,
        event.type,
        event.object_id,
        event.livemode,
        source.value,
        stripe_time(event.created) if event.created else None,
        now,
        status.value,
        error,
        None if status == StripeEventStatus.RECEIVED else now,
    ]


def _event_insert(event: EventState, source: PaymentEventSource) -> bool:
    """Store the event id, received; False when it is already stored (or being
    stored by a concurrent transaction, which this one then waits for), unless
    its handling failed: then it is taken again to be handled again."""
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT + "ON CONFLICT (stripe_event_id) DO UPDATE SET "
            "status = excluded.status, error = excluded.error, "
            "handled_at = excluded.handled_at, source = excluded.source "
            f"WHERE {_TABLE}.status = %s RETURNING id",
            [
                *_event_values(event, source, StripeEventStatus.RECEIVED, ""),
                StripeEventStatus.FAILED.value,
            ],
        )
        return cursor.fetchone() is not None


def _event_handled(event: EventState, status: StripeEventStatus, error: str = "") -> None:
    StripeEvent.objects.filter(stripe_event_id=event.id).update(
        status=status, error=error, handled_at=timezone.now()
    )


def _event_failed(event: EventState, source: PaymentEventSource, error: str) -> None:
    """Record a failed handling after its transaction was rolled back (the row
    went with it), unless a concurrent delivery has handled it since."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _INSERT + "ON CONFLICT (stripe_event_id) DO UPDATE SET "
            "error = excluded.error, handled_at = excluded.handled_at "
            f"WHERE {_TABLE}.status = %s",
            [
                *_event_values(event, source, StripeEventStatus.FAILED, error),
                StripeEventStatus.FAILED.value,
            ],
        )


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _payment_of_charge(charge_id: str) -> Payment | None:
    intent_id = gateway().charge_payment_intent_id(charge_id)
    if intent_id is None:
        return None
    return Payment.objects.filter(stripe_payment_intent_id=intent_id).first()


def _dispatch(event: EventState, source: PaymentEventSource) -> bool:
    """Apply the event's effects; False when there was nothing of ours to do."""
    if event.type in INTENT_EVENTS:
        intent = gateway().payment_intent_retrieve(event.object_id)
        payment = payment_for_intent(intent)
        if payment is None:
            return False
        payment_apply_intent(
            payment=payment, intent=intent, source=source, stripe_event_id=event.id
        )
        return True
    if event.type in REFUND_EVENTS:
        object_id = event.object_id
        payment = (
            _payment_of_charge(object_id)
            if object_id.startswith("ch_")
            else _payment_of_refund(object_id)
        )
        if payment is None:
            return False
        refunds_sync(payment=payment, source=source, stripe_event_id=event.id)
        return True
    if event.type in DISPUTE_EVENTS:
        refund = dispute_sync(dispute_id=event.object_id, source=source, stripe_event_id=event.id)
        return refund is not None
    return False


def _payment_of_refund(refund_id: str) -> Payment | None:
    refund = Refund.objects.filter(stripe_refund_id=refund_id).select_related("payment").first()
    return refund.payment if refund is not None else None


def stripe_event_process(*, event: EventState, source: PaymentEventSource) -> bool:
    """Apply one verified event once. True if it was new (or failed before).
    A domain refusal (an impossible transition) is logged and the event kept
    as failed with the error, answered as handled so that Stripe does not
    deliver it forever; an event about an object Stripe does not know is
    kept as ignored with the reason; any other error (an unreachable Stripe)
    rolls everything back, is recorded as failed with the error, and is
    raised. An event our columns cannot hold raises `EventFormatError` and
    stores nothing."""
    _event_check(event)
    try:
        with transaction.atomic():
            if not _event_insert(event, source):
                return False
            try:
                with transaction.atomic():
                    handled = _dispatch(event, source)
            except GatewayNotFoundError as error:
                # Stripe does not know the object: asking again cannot change
                # that, so the event is answered and kept as ignored, with why.
                _event_handled(event, StripeEventStatus.IGNORED, _error_text(error))
            except (PaymentError, ContributionError) as error:
                logger.exception(
                    "stripe event refused", extra={"event": event.id, "type": event.type}
                )
                _event_handled(event, StripeEventStatus.FAILED, _error_text(error))
            else:
                _event_handled(
                    event, StripeEventStatus.SUCCEEDED if handled else StripeEventStatus.IGNORED
                )
    except Exception as error:
        try:
            _event_failed(event, source, _error_text(error))
        except Exception:  # the database itself failed: the original error matters
            logger.exception("stripe event failure not recorded", extra={"event": event.id})
        raise
    return True


def webhook_receive(*, payload: bytes, signature_header: str) -> bool:
    """The webhook endpoint's one call: verify (raises `SignatureError`, or
    `EventFormatError` for a signed body that is no event), then process."""
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
