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

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from contributors.enums import PledgeFrequency, PledgeStatus, Visibility
from contributors.models import Pledge
from contributors.services import (
    pledge_record_payment_failure,
    pledge_save_payment_method,
)
from funds.enums import (
    PaymentEventSource,
    PaymentMethod,
    PaymentStatus,
)
from funds.errors import FundsError
from funds.models import Payment
from funds.services import (
    RECEIPTABLE_STATUSES,
    payment_attach_stripe_intent,
    payment_create,
    payment_email_enqueue,
    payment_succeed,
    payment_transition,
)
from funds.stripe.client import (
    GatewayCardError,
    IntentState,
    gateway,
)
from librery.numbers import whole_number

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


def month_key(pledge_id: int, period: date, attempt: int) -> str:
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
                idempotency_key=month_key(locked.pk, period, attempt),
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
    return charge_claimed(payment=payment, pledge=pledge, off_session=off_session)


def intent_create(*, payment: Payment, pledge: Pledge, off_session: bool) -> IntentState:
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


def charge_refused(*, payment: Payment, error: GatewayCardError) -> Payment:
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


def charge_record(*, payment: Payment, intent: IntentState, fee: int | None) -> Payment:
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


def charge_claimed(*, payment: Payment, pledge: Pledge, off_session: bool) -> Payment:
    """Charge a claimed (pending) payment: Stripe is asked with no transaction
    open (the charge, then its fee), then the PaymentIntent is attached and its
    outcome booked in one transaction."""
    try:
        intent = intent_create(payment=payment, pledge=pledge, off_session=off_session)
    except GatewayCardError as error:
        return charge_refused(payment=payment, error=error)
    return charge_record(payment=payment, intent=intent, fee=intent_fee_cents(intent))


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
    payment_id = whole_number(intent.metadata.get("payment", ""))
    if payment_id is None:
        return None
    payment = Payment.objects.filter(pk=payment_id, stripe_payment_intent_id=None).first()
    if payment is None:
        return None
    payment = payment_attach_stripe_intent(payment=payment, stripe_payment_intent_id=intent.id)
    return _payments_of_intent(intent.id, lock=lock).get() if lock else payment


# --- Monthly charges ------------------------------------------------------------


def stripe_time(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
