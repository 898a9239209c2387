"""The monthly renewals (the daily beat): every active monthly pledge whose
month is due is charged, in batches of `CHARGE_BATCH` with two commits each
(the months claimed, then their outcomes booked; Stripe is called between
them with no transaction open), and failed months are retried on schedule.
Built on the Stripe workflows of `funds.stripe.services`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import (
    Exists,
    F,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from contributors.enums import PledgeFrequency, PledgeStatus
from contributors.models import Pledge
from contributors.services import pledges_schedule_next_charge
from funds.enums import PaymentEventSource, PaymentStatus
from funds.models import Payment, PaymentEvent
from funds.services import payment_create, payment_transition
from funds.services.bookings import Settled, payments_settle_many
from funds.stripe.client import GatewayCardError, GatewayError, IntentState
from funds.stripe.services import (
    RETRY_DELAYS_DAYS,
    STRIPE_METHOD_TYPES,
    charge_claimed,
    charge_record,
    charge_refused,
    intent_create,
    intent_fee_cents,
    month_key,
)
from librery.rows import rows_write
from librery.services import log_actions

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChargeRun:
    charged: int
    retried: int


# Due months are charged in batches: one transaction claims a batch (its
# payments made, pending, and the next months scheduled), Stripe is asked for
# each with no transaction open, and one transaction attaches and books the
# batch's settled charges. Smaller than Stripe's calls over STALE_CLAIM.
CHARGE_BATCH = 100


_PAYMENTS = Payment._meta.db_table  # noqa: SLF001 -- Django's public model metadata
_PAYMENT_ROW = "(%s, %s, %s, %s, %s, %s, %s, %s, '', '', %s, %s)"


def _payments_insert(payments: list[Payment]) -> dict[str, int]:
    """Insert the months' payments in one statement, those whose key exists
    already left alone (ON CONFLICT DO NOTHING: a concurrent insert of the same
    month waits, then is skipped); the ids of those inserted, by key."""
    date_value = connection.ops.adapt_datefield_value
    time_value = connection.ops.adapt_datetimefield_value
    params: list[Any] = []
    for payment in payments:
        params += [
            payment.pledge_id,
            payment.method,
            payment.status,
            payment.amount_cents,
            payment.currency,
            date_value(payment.period_date),
            payment.attempt,
            payment.idempotency_key,
            time_value(payment.created_at),
            time_value(payment.updated_at),
        ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_PAYMENTS} "  # noqa: S608 -- the table name is ours
            "(pledge_id, method, status, amount_cents, currency, period_date, attempt, "
            "idempotency_key, failure_code, failure_message, created_at, updated_at) VALUES "
            f"{', '.join([_PAYMENT_ROW] * len(payments))} "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key",
            params,
        )
        return {key: int(pk) for pk, key in cursor.fetchall()}


def _months_claim(*, after: int, today: date) -> tuple[list[tuple[Payment, Pledge]], int, int]:
    """The first commit of a batch: lock the next `CHARGE_BATCH` pledges due
    (by id, after `after`; a concurrent run waits on them, then finds them
    charged), make each month's payment already claimed (pending) with its
    events and audit entries, and schedule the next months. Returns the
    payments to charge with their pledge, the last pledge's id and how many
    pledges were due; a month started before is charged only if it was never
    claimed."""
    now = timezone.now()
    # No savepoint: inside a caller's transaction (tests), nothing here is expected
    # to fail and be caught; a day with nothing due opens nothing.
    with transaction.atomic(savepoint=False):
        pledges = list(pledges_due_batch(today=today, after=after).select_for_update(of=("self",)))
        if not pledges:
            return [], after, 0
        months = [
            Payment(
                pledge=pledge,
                method=pledge.payment_method,
                status=PaymentStatus.PENDING,
                amount_cents=pledge.amount_cents,
                currency=pledge.currency,
                period_date=cast("date", pledge.next_charge_date).replace(day=1),
                attempt=1,
                idempotency_key=month_key(
                    pledge.pk, cast("date", pledge.next_charge_date).replace(day=1), 1
                ),
                created_at=now,
                updated_at=now,
            )
            for pledge in pledges
        ]
        inserted = _payments_insert(months)
        made = []
        for payment in months:
            if payment.idempotency_key in inserted:
                payment.pk = inserted[payment.idempotency_key]
                made.append(payment)
        rows_write(
            PaymentEvent,
            ("payment_id", "status", "at", "source"),
            (
                (payment.pk, status, now, PaymentEventSource.SYSTEM)
                for payment in made
                for status in (PaymentStatus.CREATED, PaymentStatus.PENDING)
            ),
        )
        moved = {"from": PaymentStatus.CREATED.value, "source": "system", "stripe_event_id": ""}
        log_actions(
            entries=[
                entry
                for payment in made
                for entry in (
                    (
                        "funds.payment.created",
                        payment,
                        {
                            "pledge": payment.pledge_id,
                            "method": payment.method,
                            "amount_cents": payment.amount_cents,
                        },
                    ),
                    ("funds.payment.pending", payment, dict(moved)),
                )
            ]
        )
        pledges_schedule_next_charge(
            charged={pledge.pk: cast("date", pledge.next_charge_date) for pledge in pledges}
        )
        by_id = {pledge.pk: pledge for pledge in pledges}
        claimed = [(payment, by_id[payment.pledge_id]) for payment in made]
        if len(made) < len(months):
            # Months started before (a run that died, a task that forgot them):
            # one made but never claimed is claimed now; the others are left.
            started = Payment.objects.filter(
                idempotency_key__in=[p.idempotency_key for p in months if p.pk is None]
            ).order_by("pk")
            claimed.extend(
                (
                    payment_transition(
                        payment=payment,
                        to_status=PaymentStatus.PENDING,
                        source=PaymentEventSource.SYSTEM,
                    ),
                    by_id[payment.pledge_id],
                )
                for payment in started
                if payment.status == PaymentStatus.CREATED
            )
    return claimed, pledges[-1].pk, len(pledges)


def _months_book(charged: list[tuple[Payment, IntentState, int | None]]) -> None:
    """The second commit of a batch: lock the payments with their pledges (one
    read), attach each PaymentIntent and book the settled ones together
    (`payments_settle_many`); a payment that a webhook booked meanwhile is left
    alone, and any other outcome (SEPA not settled yet, a failure) goes the
    one-payment way after the commit."""
    if not charged:
        return
    now = timezone.now()
    alone: list[tuple[Payment, IntentState, int | None]] = []
    with transaction.atomic(savepoint=False):
        rows = (
            Payment.objects.select_related("pledge__contributor")
            .select_for_update(of=("self", "pledge"))
            .in_bulk([payment.pk for payment, _intent, _fee in charged])
        )
        settled: list[Settled] = []
        for payment, intent, fee in charged:
            row = rows[payment.pk]
            if (
                row.status == PaymentStatus.PENDING
                and row.stripe_payment_intent_id is None
                and intent.status == "succeeded"
                and fee is not None
            ):
                settled.append(
                    Settled(row, now, intent.amount_cents, fee, stripe_payment_intent_id=intent.id)
                )
            else:
                alone.append((row, intent, fee))
        payments_settle_many(
            settled=settled,
            source=PaymentEventSource.SYSTEM,
            pledges={item.payment.pledge_id: item.payment.pledge for item in settled},
        )
    for payment, intent, fee in alone:
        charge_record(payment=payment, intent=intent, fee=fee)


def _charge_months(*, after: int, today: date) -> tuple[int, int, int]:
    """Charge the next batch of due months (see `_months_claim`); the number
    charged (or refused by the bank: those Stripe did not answer are left
    claimed for the reconciliation), the batch's last pledge id and its size."""
    claimed, last, size = _months_claim(after=after, today=today)
    charged: list[tuple[Payment, IntentState, int | None]] = []
    done = 0
    for payment, pledge in claimed:
        try:
            intent = intent_create(payment=payment, pledge=pledge, off_session=True)
            charged.append((payment, intent, intent_fee_cents(intent)))
        except GatewayCardError as error:
            charge_refused(payment=payment, error=error)
        except GatewayError:
            # Claimed but unanswered: reconciliation charges it again, same key.
            logger.exception("monthly charge interrupted", extra={"pledge": pledge.pk})
            continue
        done += 1
    _months_book(charged)
    return done, last, size


def _retry_due(*, failed: Payment, failed_at: datetime, today: date) -> Payment | None:
    assert failed.period_date is not None  # noqa: S101 -- filtered by the caller
    if (
        timezone.localdate(failed_at) + timedelta(days=RETRY_DELAYS_DAYS[failed.attempt - 1])
        > today
    ):
        return None
    with transaction.atomic():
        pledge = Pledge.objects.select_for_update(of=("self",)).get(pk=failed.pledge_id)
        if pledge.status != PledgeStatus.ACTIVE or not pledge.stripe_payment_method_id:
            return None
        attempt = failed.attempt + 1
        payment = payment_create(
            pledge=pledge,
            method=pledge.payment_method,
            amount_cents=pledge.amount_cents,
            idempotency_key=month_key(pledge.pk, failed.period_date, attempt),
            period_date=failed.period_date,
            attempt=attempt,
        )
        if payment.status != PaymentStatus.CREATED:
            return payment  # retried meanwhile by another worker: claimed there
        # Claimed in the transaction that made it: one commit before Stripe, one after.
        payment = payment_transition(
            payment=payment, to_status=PaymentStatus.PENDING, source=PaymentEventSource.SYSTEM
        )
    return charge_claimed(payment=payment, pledge=pledge, off_session=True)


def pledges_charge_due(*, today: date) -> ChargeRun:
    """The monthly run (beat, daily): charge every active monthly pledge whose
    month is due, in batches of `CHARGE_BATCH` (two commits each), and retry
    failed months on schedule. Each charge is one `Payment` per (pledge, month,
    attempt) with the idempotency key ``pledge_{id}_{YYYY-MM}`` (``_a2``... for
    retries): running this twice, or at the same time, charges nobody twice."""
    charged, after, size = 0, 0, CHARGE_BATCH
    while size == CHARGE_BATCH:  # each pledge once, in order of id
        done, after, size = _charge_months(after=after, today=today)
        charged += done
    retried = 0
    for failed in retry_candidates():
        try:
            at = failed.failed_at  # type: ignore[attr-defined] # annotated
            if _retry_due(failed=failed, failed_at=at, today=today) is not None:
                retried += 1
        except GatewayError:
            logger.exception("monthly retry interrupted", extra={"payment": failed.pk})
    return ChargeRun(charged=charged, retried=retried)


def pledges_due(*, today: date) -> QuerySet[Pledge]:
    """Active monthly pledges paid through Stripe whose month is due, read through
    the partial index `pledge_monthly_due` (never a scan of every pledge)."""
    return Pledge.objects.filter(
        frequency=PledgeFrequency.MONTHLY,
        status=PledgeStatus.ACTIVE,
        next_charge_date__lte=today,
        payment_method__in=list(STRIPE_METHOD_TYPES),
    ).exclude(stripe_payment_method_id="")


def pledges_due_batch(*, today: date, after: int) -> QuerySet[Pledge]:
    """The next `CHARGE_BATCH` pledges due, in order of id after `after`: read
    through the same partial index (the few due, sorted), never the pledges'
    primary key walked until enough are found.

    Sorted by `id + 0`, which no index gives in order: sorted by the bare `id`,
    the planner may walk an index that starts with it (the primary key,
    `pledge_paid_contributor`) and filter pledge after pledge until enough are
    due, which it did on a small table in CI."""
    return pledges_due(today=today).filter(pk__gt=after).order_by(F("pk") + 0)[:CHARGE_BATCH]


def retry_candidates() -> QuerySet[Payment]:
    """In one query (a partial index on failed monthly charges serves it), the
    failed charges of active pledges that are their month's last attempt with
    retries left, with the time they failed."""
    month = {"pledge_id": OuterRef("pledge_id"), "period_date": OuterRef("period_date")}
    later = Payment.objects.filter(**month, attempt__gt=OuterRef("attempt"))
    failed_at = PaymentEvent.objects.filter(payment=OuterRef("pk"), status=PaymentStatus.FAILED)
    return (
        Payment.objects.filter(
            status=PaymentStatus.FAILED,
            period_date__isnull=False,
            attempt__lte=len(RETRY_DELAYS_DAYS),
            method__in=list(STRIPE_METHOD_TYPES),
            pledge__status=PledgeStatus.ACTIVE,
        )
        .exclude(Exists(later))
        .annotate(failed_at=Subquery(failed_at.order_by("pk").values("at")[:1]))
        .filter(failed_at__isnull=False)
        .order_by("pk")
    )
