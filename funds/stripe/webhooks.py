"""Stripe events, from the webhook or from reconciliation.

An event is trusted only with a valid signature on the raw body (300 s
tolerance) and our live/test mode. The webhook only stores it (its id is
inserted with ON CONFLICT: the same event delivered 50 times at once is stored
once, and a redelivery is a no-op) and answers at once; once that commits, a
task (`funds.handle_stripe_event`, given our row's id) handles it: Stripe is
asked first, with no transaction open, then the effects and the event's status
commit together, the status claimed by a conditional update so that repeated
or concurrent handlings book once. Each stored event records how its handling
went (`status`, `error`, `handled_at`): succeeded, ignored (nothing of ours),
or failed with the error; a failed handling rolls its effects back but its
record stays, and a failed event is handled again (the task's retries, a
redelivery, the hourly reconciliation, which also takes events whose task was
lost). Effects never trust the event's copy of the object: the object is
re-fetched from Stripe, so order and repetition do not matter."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
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
from funds.stripe.refunds import dispute_apply, refunds_apply
from funds.stripe.services import (
    STALE_CLAIM,
    STRIPE_METHOD_TYPES,
    intent_fee_cents,
    payment_apply_intent,
    payment_charge,
    payment_for_intent,
    payment_sync,
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


def _event_insert(
    event: EventState, source: PaymentEventSource, *, retake: tuple[StripeEventStatus, ...]
) -> int | None:
    """Store the event, received; its row's id, or None when it is already
    stored (or being stored by a concurrent transaction, which this one then
    waits for) unless its status is in `retake` (a failed handling, to do again)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT + "ON CONFLICT (stripe_event_id) DO UPDATE SET "
            "status = excluded.status, error = excluded.error, "
            "handled_at = excluded.handled_at, source = excluded.source "
            f"WHERE {_TABLE}.status IN ({', '.join(['%s'] * len(retake))}) RETURNING id",
            [
                *_event_values(event, source, StripeEventStatus.RECEIVED, ""),
                *(status.value for status in retake),
            ],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


_OPEN = (StripeEventStatus.RECEIVED, StripeEventStatus.FAILED)


def _event_record(event: EventState, status: StripeEventStatus, error: str = "") -> bool:
    """Set how the handling of a stored event went, unless another handling
    has done it first (a row no longer received or failed); False then."""
    return bool(
        StripeEvent.objects.filter(stripe_event_id=event.id, status__in=_OPEN).update(
            status=status, error=error, handled_at=timezone.now()
        )
    )


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


Effects = Callable[[], bool]


def _nothing() -> bool:
    return False


def _intent_effects(event: EventState, source: PaymentEventSource) -> Effects:
    intent = gateway().payment_intent_retrieve(event.object_id)
    fee = intent_fee_cents(intent)

    def apply() -> bool:
        payment = payment_for_intent(intent, lock=True)
        if payment is None:
            return False
        payment_apply_intent(
            payment=payment,
            intent=intent,
            source=source,
            stripe_event_id=event.id,
            fee_cents=fee,
            locked=True,
        )
        return True

    return apply


def _refund_effects(event: EventState, source: PaymentEventSource) -> Effects:
    object_id = event.object_id
    if object_id.startswith("ch_"):
        intent_id = gateway().charge_payment_intent_id(object_id)
    else:
        intent_id = (
            Refund.objects.filter(stripe_refund_id=object_id)
            .values_list("payment__stripe_payment_intent_id", flat=True)
            .first()
        )
    if not intent_id:
        return _nothing
    states = gateway().refund_list(payment_intent_id=intent_id)

    def apply() -> bool:
        payment = Payment.objects.filter(stripe_payment_intent_id=intent_id).first()
        if payment is None:
            return False
        refunds_apply(payment=payment, states=states, source=source, stripe_event_id=event.id)
        return True

    return apply


def _dispute_effects(event: EventState, source: PaymentEventSource) -> Effects:
    dispute = gateway().dispute_retrieve(event.object_id)
    return lambda: (
        dispute_apply(dispute=dispute, source=source, stripe_event_id=event.id) is not None
    )


def _effects(event: EventState, source: PaymentEventSource) -> Effects:
    """Ask Stripe, with no transaction open, what the event's object is now;
    returns its effects on our books, to apply in one transaction (True when
    there was something of ours to do)."""
    if event.type in INTENT_EVENTS:
        return _intent_effects(event, source)
    if event.type in REFUND_EVENTS:
        return _refund_effects(event, source)
    if event.type in DISPUTE_EVENTS:
        return _dispute_effects(event, source)
    return _nothing


def _event_handle(event: EventState, source: PaymentEventSource) -> bool:
    """Handle a stored event once: Stripe is asked first, then its effects and
    its status commit together (False when another handling did it first).
    A domain refusal (an impossible transition) is logged and the event kept
    as failed with the error; an event about an object Stripe does not know
    is kept as ignored with the reason; any other error (an unreachable
    Stripe) rolls the effects back, is recorded as failed, and is raised (the
    task is retried, and the hourly reconciliation takes failed events again)."""
    try:
        effects = _effects(event, source)
        with transaction.atomic():
            if not _event_record(event, StripeEventStatus.SUCCEEDED):
                return False
            if not effects():
                _event_record_again(event, StripeEventStatus.IGNORED)
    except GatewayNotFoundError as error:
        # Stripe does not know the object: asking again cannot change that.
        return _event_record(event, StripeEventStatus.IGNORED, _error_text(error))
    except (PaymentError, ContributionError) as error:
        logger.exception("stripe event refused", extra={"event": event.id, "type": event.type})
        return _event_record(event, StripeEventStatus.FAILED, _error_text(error))
    except Exception as error:
        _event_record(event, StripeEventStatus.FAILED, _error_text(error))
        raise
    return True


def _event_record_again(event: EventState, status: StripeEventStatus) -> None:
    StripeEvent.objects.filter(stripe_event_id=event.id).update(status=status)


def _stored_state(stored: StripeEvent) -> EventState:
    created = stored.created_on_stripe_at
    return EventState(
        id=stored.stripe_event_id,
        type=stored.type,
        livemode=stored.livemode,
        object_id=stored.object_id,
        created=int(created.timestamp()) if created is not None else 0,
    )


def stripe_event_handle(*, event_id: int) -> bool:
    """The task's one call: handle the stored event `event_id` (our row's id)
    if it is still to handle (received, or failed before); True if this call
    handled it. Repeated or concurrent calls handle it once."""
    stored = StripeEvent.objects.filter(pk=event_id, status__in=_OPEN).first()
    if stored is None:
        return False
    return _event_handle(_stored_state(stored), PaymentEventSource(stored.source))


def _enqueue_handling(event_id: int) -> None:
    # Tasks sit above services (they call them): imported here, when enqueuing.
    from funds.tasks import handle_stripe_event  # noqa: PLC0415 -- tasks import services

    handle_stripe_event.apply_async(kwargs={"event_id": event_id})


def stripe_event_process(*, event: EventState, source: PaymentEventSource) -> bool:
    """Store one verified event and handle it now (the reconciliation, itself a
    task). True if it was new, or taken again: failed before, or received but
    not handled yet (a lost task). An event our columns cannot hold raises
    `EventFormatError` and stores nothing."""
    _event_check(event)
    with transaction.atomic():
        stored = _event_insert(event, source, retake=_OPEN)
    if stored is None:
        return False
    _event_handle(event, source)
    return True


def webhook_receive(*, payload: bytes, signature_header: str) -> bool:
    """The webhook endpoint's one call: verify (raises `SignatureError`, or
    `EventFormatError` for a signed body that is no event), store the event
    and, once that commits, enqueue its handling; nothing here calls Stripe
    or books. True if the event is new (or failed before and taken again); a
    redelivery of an event stored and not failed is a no-op."""
    event = gateway().event_verify(payload=payload, signature_header=signature_header)
    _event_check(event)
    # One statement, that commits on its own (autocommit: no BEGIN and COMMIT
    # round trips), or with the caller's transaction.
    stored = _event_insert(
        event, PaymentEventSource.STRIPE_WEBHOOK, retake=(StripeEventStatus.FAILED,)
    )
    if stored is None:
        return False
    # Robust: a broker that is down leaves the event received, for the
    # reconciliation to take; Stripe has its answer either way. Run at once
    # when the insert committed on its own, else when the caller's commits.
    transaction.on_commit(partial(_enqueue_handling, stored), robust=True)
    return True


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
