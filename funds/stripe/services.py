"""Stripe workflows, built on the fund's payment services: a pledge's payment
on our own page, the monthly off-session charges, Stripe's state (always
re-fetched) applied to our payments, refunds, disputes and reconciliation.

Stripe calls never run inside a database transaction that holds a lock for
long: a payment is first *claimed* (created -> pending, committed), then
charged with an idempotency key derived from its row, then updated."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from contributors.enums import PledgeFrequency, PledgeStatus, Visibility
from contributors.models import Pledge
from contributors.services import (
    pledge_record_payment_failure,
    pledge_save_payment_method,
    pledges_schedule_next_charge,
)
from funds.enums import (
    PaymentEventSource,
    PaymentMethod,
    PaymentStatus,
)
from funds.errors import FundsError
from funds.models import Payment, PaymentEvent
from funds.services import (
    RECEIPTABLE_STATUSES,
    payment_attach_stripe_intent,
    payment_create,
    payment_email_enqueue,
    payment_succeed,
    payment_transition,
)
from funds.services.bookings import Settled, payments_settle_many
from funds.stripe.client import (
    GatewayCardError,
    GatewayError,
    IntentState,
    gateway,
)
from librery.services import log_actions

logger = logging.getLogger(__name__)

STRIPE_METHOD_TYPES: dict[str, str] = {
    PaymentMethod.CARD: "card",
    PaymentMethod.SEPA_DEBIT: "sepa_debit",
}
# A failed monthly charge is tried again 1, 3 and 7 days after each failure;
# the pledge is suspended after the fourth failure in a row.
RETRY_DELAYS_DAYS = (1, 3, 7)
SUSPEND_AFTER_FAILURES = len(RETRY_DELAYS_DAYS) + 1
# A claimed payment that never got its PaymentIntent (crash, timeout) is
# charged again, with the same idempotency key, after this long.
STALE_CLAIM = timedelta(minutes=10)
PAYABLE_PLEDGE_STATUSES = frozenset({PledgeStatus.AWAITING_PAYMENT, PledgeStatus.SUSPENDED})
_PENDING_INTENT_STATUSES = frozenset(
    {"processing", "requires_action", "requires_confirmation", "requires_capture"}
)
_FAILED_INTENT_STATUSES = frozenset({"requires_payment_method", "canceled"})


class StripePaymentError(FundsError, ValueError):
    """A Stripe payment step that cannot happen; the message is for the user."""


@dataclass(frozen=True)
class CheckoutStart:
    setup_intent_id: str
    client_secret: str
    method_type: str


@dataclass(frozen=True)
class CheckoutResult:
    payment: Payment
    # Set when the bank asks the payer to authenticate (3-D Secure): the page
    # hands it to Stripe.js (`confirmCardPayment`), then asks for a sync.
    action_client_secret: str = ""


def _month_key(pledge_id: int, period: date, attempt: int) -> str:
    base = f"pledge_{pledge_id}_{period:%Y-%m}"
    return base if attempt == 1 else f"{base}_a{attempt}"


# --- The payment page -----------------------------------------------------------


def stripe_checkout_start(*, pledge: Pledge, email: str) -> CheckoutStart:
    """Prepare the payment page of `pledge`: its Stripe customer, and a
    SetupIntent that Stripe.js confirms with the card or the IBAN mandate
    (so the method is saved for the monthly charges, and for a retry)."""
    method_type = STRIPE_METHOD_TYPES.get(pledge.payment_method)
    if method_type is None:
        raise StripePaymentError(_("This pledge is not paid by card or SEPA Direct Debit."))
    if pledge.status not in PAYABLE_PLEDGE_STATUSES:
        raise StripePaymentError(_("This pledge has nothing to pay now."))
    client = gateway()
    customer = pledge.stripe_customer_id
    if not customer:
        # A secret contributor's name and address stay on the platform.
        secret = pledge.contributor.visibility == Visibility.SECRET
        customer = client.customer_create(
            email="" if secret else email,
            name="" if secret else pledge.contributor.name,
            idempotency_key=f"pledge_{pledge.pk}_customer",
        )
        pledge = pledge_save_payment_method(
            pledge=pledge, customer_id=customer, payment_method_id=pledge.stripe_payment_method_id
        )
    attempt = pledge.payments.count() + 1
    setup = client.setup_intent_create(
        customer=customer,
        method_type=method_type,
        metadata={"pledge": str(pledge.pk)},
        idempotency_key=f"pledge_{pledge.pk}_setup_{attempt}",
    )
    return CheckoutStart(
        setup_intent_id=setup.id, client_secret=setup.client_secret, method_type=method_type
    )


def _first_payment(pledge: Pledge) -> Payment:
    """The payment the page charges: the live one if a double submit already
    made it, else a new attempt (keyed by pledge and month for a monthly pledge)."""
    with transaction.atomic():
        locked = Pledge.objects.select_for_update(of=("self",)).get(pk=pledge.pk)
        live = (
            Payment.objects.filter(pledge=locked)
            .exclude(status=PaymentStatus.FAILED)
            .order_by("-id")
            .first()
        )
        if live is not None and live.status in {PaymentStatus.CREATED, PaymentStatus.PENDING}:
            return live
        if locked.status not in PAYABLE_PLEDGE_STATUSES:
            raise StripePaymentError(_("This pledge has nothing to pay now."))
        if locked.frequency == PledgeFrequency.MONTHLY:
            period = timezone.localdate().replace(day=1)
            attempt = (
                Payment.objects.filter(pledge=locked, period_date=period).aggregate(
                    n=Max("attempt")
                )["n"]
                or 0
            ) + 1
            return payment_create(
                pledge=locked,
                method=locked.payment_method,
                amount_cents=locked.amount_cents,
                idempotency_key=_month_key(locked.pk, period, attempt),
                period_date=period,
                attempt=attempt,
            )
        attempt = Payment.objects.filter(pledge=locked).count() + 1
        return payment_create(
            pledge=locked,
            method=locked.payment_method,
            amount_cents=locked.amount_cents,
            idempotency_key=f"pledge_{locked.pk}_once_{attempt}",
            attempt=attempt,
        )


def stripe_checkout_complete(*, pledge: Pledge, setup_intent_id: str) -> CheckoutResult:
    """Stripe.js confirmed the SetupIntent: check it (re-fetched) belongs to
    this pledge, save the method, and charge the first payment."""
    pledge = Pledge.objects.get(pk=pledge.pk)
    setup = gateway().setup_intent_retrieve(setup_intent_id)
    if (
        setup.metadata.get("pledge") != str(pledge.pk)
        or not setup.customer
        or setup.customer != pledge.stripe_customer_id
    ):
        raise StripePaymentError(_("These payment details belong to another pledge."))
    if setup.status != "succeeded" or not setup.payment_method:
        raise StripePaymentError(_("Your payment details were not confirmed; please try again."))
    pledge = pledge_save_payment_method(
        pledge=pledge, customer_id=setup.customer, payment_method_id=setup.payment_method
    )
    payment = payment_charge(payment=_first_payment(pledge), off_session=False)
    secret = ""
    if payment.status == PaymentStatus.PENDING and payment.stripe_payment_intent_id:
        intent = gateway().payment_intent_retrieve(payment.stripe_payment_intent_id)
        if intent.status == "requires_action":
            secret = intent.client_secret
    return CheckoutResult(payment=payment, action_client_secret=secret)


# --- Charging -------------------------------------------------------------------


def _payment_claim(*, payment: Payment, resume: bool) -> bool:
    """Take `payment` for charging (created -> pending). With `resume`, a
    pending payment that never got its PaymentIntent is taken again (its
    idempotency key makes Stripe answer with the first attempt's intent)."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        if locked.status == PaymentStatus.CREATED:
            payment_transition(
                payment=locked, to_status=PaymentStatus.PENDING, source=PaymentEventSource.SYSTEM
            )
            return True
        return bool(
            resume
            and locked.status == PaymentStatus.PENDING
            and not locked.stripe_payment_intent_id
        )


def payment_charge(*, payment: Payment, off_session: bool, resume: bool = False) -> Payment:
    """Charge `payment` with its pledge's saved payment method, once: a second
    call (a duplicated task, a double submit) finds it claimed and does nothing."""
    if not _payment_claim(payment=payment, resume=resume):
        return Payment.objects.get(pk=payment.pk)
    pledge = Pledge.objects.get(pk=payment.pledge_id)
    return _charge_claimed(payment=payment, pledge=pledge, off_session=off_session)


def _intent_create(*, payment: Payment, pledge: Pledge, off_session: bool) -> IntentState:
    """Ask Stripe (no transaction open) to charge `payment`, keyed by its row."""
    return gateway().payment_intent_create(
        amount_cents=payment.amount_cents,
        currency=payment.currency,
        customer=pledge.stripe_customer_id,
        payment_method=pledge.stripe_payment_method_id,
        method_type=STRIPE_METHOD_TYPES[payment.method],
        off_session=off_session,
        metadata={"payment": str(payment.pk), "pledge": str(pledge.pk)},
        idempotency_key=payment.idempotency_key,
    )


def _charge_refused(*, payment: Payment, error: GatewayCardError) -> Payment:
    if error.payment_intent_id:
        payment_attach_stripe_intent(
            payment=payment, stripe_payment_intent_id=error.payment_intent_id
        )
    return payment_fail(
        payment=payment,
        failure_code=error.code,
        failure_message=error.message,
        source=PaymentEventSource.SYSTEM,
    )


def _charge_record(*, payment: Payment, intent: IntentState, fee: int | None) -> Payment:
    """Attach the PaymentIntent of a claimed payment and book its outcome, in one transaction."""
    with transaction.atomic():
        payment_attach_stripe_intent(payment=payment, stripe_payment_intent_id=intent.id)
        return payment_apply_intent(
            payment=_payments_of_intent(intent.id, lock=True).get(),
            intent=intent,
            source=PaymentEventSource.SYSTEM,
            fee_cents=fee,
            locked=True,
        )


def _charge_claimed(*, payment: Payment, pledge: Pledge, off_session: bool) -> Payment:
    """Charge a claimed (pending) payment: Stripe is asked with no transaction
    open (the charge, then its fee), then the PaymentIntent is attached and its
    outcome booked in one transaction."""
    try:
        intent = _intent_create(payment=payment, pledge=pledge, off_session=off_session)
    except GatewayCardError as error:
        return _charge_refused(payment=payment, error=error)
    return _charge_record(payment=payment, intent=intent, fee=intent_fee_cents(intent))


def payment_fail(
    *,
    payment: Payment,
    failure_code: str,
    failure_message: str,
    source: PaymentEventSource | str,
    stripe_event_id: str = "",
) -> Payment:
    """The attempt failed: the payment fails (once), the pledge counts the
    failure (and is suspended after too many), the contributor is emailed."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        if locked.status not in {PaymentStatus.CREATED, PaymentStatus.PENDING}:
            return locked
        locked = payment_transition(
            payment=locked,
            to_status=PaymentStatus.FAILED,
            source=source,
            stripe_event_id=stripe_event_id,
            failure_code=failure_code or "failed",
            failure_message=failure_message,
        )
        pledge = pledge_record_payment_failure(
            pledge=Pledge.objects.get(pk=locked.pledge_id),
            suspend_after=SUSPEND_AFTER_FAILURES,
            reason=failure_code,
        )
        if pledge.status == PledgeStatus.SUSPENDED and pledge.failed_attempts == (
            SUSPEND_AFTER_FAILURES
        ):
            # Each failure has its email (payment_transition); suspension has its own.
            payment_email_enqueue(payment=locked, kind="renewal_problem")
    return locked


def payment_apply_intent(
    *,
    payment: Payment,
    intent: IntentState,
    source: PaymentEventSource | str,
    stripe_event_id: str = "",
    fee_cents: int | None = None,
    locked: bool = False,
) -> Payment:
    """Bring `payment` to the state of its PaymentIntent as Stripe has it now.
    Harmless when repeated or late: a booked payment is left alone. A booking
    passes the fee it read from Stripe beforehand (`intent_fee_cents`) and, with
    `locked`, the payment it locked with its pledge (`payment_for_intent`)."""
    current = payment if locked else Payment.objects.get(pk=payment.pk)
    if current.status in RECEIPTABLE_STATUSES:
        return current
    if intent.status == "succeeded":
        if intent.balance_transaction_id is None:
            # SEPA: accepted, but the money has not settled yet.
            return _ensure_pending(current, source, stripe_event_id)
        if fee_cents is None:
            fee_cents = gateway().balance_transaction_fee_cents(intent.balance_transaction_id)
        payment_succeed(
            payment=current,
            gross_cents=intent.amount_cents,
            processor_fee_cents=fee_cents,
            received_at=timezone.now(),
            source=source,
            stripe_event_id=stripe_event_id,
            locked=locked,
        )
        return current if locked else Payment.objects.get(pk=payment.pk)
    if intent.status in _PENDING_INTENT_STATUSES:
        return _ensure_pending(current, source, stripe_event_id)
    if intent.status in _FAILED_INTENT_STATUSES:
        return payment_fail(
            payment=current,
            failure_code=intent.failure_code or intent.status,
            failure_message=intent.failure_message,
            source=source,
            stripe_event_id=stripe_event_id,
        )
    return current


def _ensure_pending(payment: Payment, source: PaymentEventSource | str, event_id: str) -> Payment:
    """Created -> pending; any later status (a concurrent success) is left alone."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        if locked.status != PaymentStatus.CREATED:
            return locked
        return payment_transition(
            payment=locked,
            to_status=PaymentStatus.PENDING,
            source=source,
            stripe_event_id=event_id,
        )


def payment_sync(
    *, payment: Payment, source: PaymentEventSource | str, stripe_event_id: str = ""
) -> Payment:
    """Re-fetch the payment's PaymentIntent from Stripe and apply it."""
    if not payment.stripe_payment_intent_id:
        return payment
    intent = gateway().payment_intent_retrieve(payment.stripe_payment_intent_id)
    return payment_apply_intent(
        payment=payment, intent=intent, source=source, stripe_event_id=stripe_event_id
    )


def intent_fee_cents(intent: IntentState) -> int | None:
    """The processor fee of a settled PaymentIntent, asked of Stripe (before a
    booking opens its transaction); None while there is nothing to book."""
    if intent.status != "succeeded" or intent.balance_transaction_id is None:
        return None
    return gateway().balance_transaction_fee_cents(intent.balance_transaction_id)


def _payments_of_intent(intent_id: str, *, lock: bool) -> QuerySet[Payment]:
    payments = Payment.objects.filter(stripe_payment_intent_id=intent_id)
    if not lock:
        return payments
    # The booking's one read: the payment and its pledge, locked, with the contributor.
    return payments.select_related("pledge__contributor").select_for_update(of=("self", "pledge"))


def payment_for_intent(intent: IntentState, *, lock: bool = False) -> Payment | None:
    """Our payment of a PaymentIntent: by its id, or by the metadata we set
    (a payment whose intent id was lost between Stripe's answer and our save).
    With `lock` (inside a transaction), the payment and its pledge are locked."""
    payment = _payments_of_intent(intent.id, lock=lock).first()
    if payment is not None:
        return payment
    payment_id = intent.metadata.get("payment", "")
    if not payment_id.isdigit():
        return None
    payment = Payment.objects.filter(pk=int(payment_id), stripe_payment_intent_id=None).first()
    if payment is None:
        return None
    payment = payment_attach_stripe_intent(payment=payment, stripe_payment_intent_id=intent.id)
    return _payments_of_intent(intent.id, lock=lock).get() if lock else payment


# --- Monthly charges ------------------------------------------------------------


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
                idempotency_key=_month_key(
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
        PaymentEvent.objects.bulk_create(
            PaymentEvent(payment=payment, status=status, at=now, source=PaymentEventSource.SYSTEM)
            for payment in made
            for status in (PaymentStatus.CREATED, PaymentStatus.PENDING)
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
        _charge_record(payment=payment, intent=intent, fee=fee)


def _charge_months(*, after: int, today: date) -> tuple[int, int, int]:
    """Charge the next batch of due months (see `_months_claim`); the number
    charged (or refused by the bank: those Stripe did not answer are left
    claimed for the reconciliation), the batch's last pledge id and its size."""
    claimed, last, size = _months_claim(after=after, today=today)
    charged: list[tuple[Payment, IntentState, int | None]] = []
    done = 0
    for payment, pledge in claimed:
        try:
            intent = _intent_create(payment=payment, pledge=pledge, off_session=True)
            charged.append((payment, intent, intent_fee_cents(intent)))
        except GatewayCardError as error:
            _charge_refused(payment=payment, error=error)
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
            idempotency_key=_month_key(pledge.pk, failed.period_date, attempt),
            period_date=failed.period_date,
            attempt=attempt,
        )
        if payment.status != PaymentStatus.CREATED:
            return payment  # retried meanwhile by another worker: claimed there
        # Claimed in the transaction that made it: one commit before Stripe, one after.
        payment = payment_transition(
            payment=payment, to_status=PaymentStatus.PENDING, source=PaymentEventSource.SYSTEM
        )
    return _charge_claimed(payment=payment, pledge=pledge, off_session=True)


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
    primary key walked until enough are found."""
    return pledges_due(today=today).filter(pk__gt=after).order_by("pk")[:CHARGE_BATCH]


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


def stripe_time(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
