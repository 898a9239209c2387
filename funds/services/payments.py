"""Payments: one per charge attempt, their state machine and their receipts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from contributors.enums import ContributorKind
from contributors.models import Contributor, Pledge
from contributors.services import pledge_record_payment_success
from funds.enums import (
    PAYMENT_TRANSITIONS,
    AccountKind,
    JournalSource,
    PaymentEventSource,
    PaymentMethod,
    PaymentStatus,
)
from funds.errors import FundsError
from funds.models import (
    Journal,
    Payment,
    PaymentEvent,
    Receipt,
    ReceiptEarmark,
)
from funds.money import Money, MoneyError, positive_money
from funds.services.ledger import journal_post, ledger_accounts
from librery.mail import mail_enqueue
from librery.services import log_action
from librery.transitions import transition

# A payment in these statuses has (or may have) a receipt.
RECEIPTABLE_STATUSES = frozenset(
    {PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED, PaymentStatus.DISPUTED}
)


class PaymentError(FundsError, ValueError):
    """A payment operation that cannot happen; the message says why."""


def payment_create(
    *,
    pledge: Pledge,
    method: PaymentMethod | str,
    amount_cents: int,
    idempotency_key: str,
    period_date: date | None = None,
    attempt: int = 1,
    stripe_payment_intent_id: str | None = None,
    actor: Any = None,
) -> Payment:
    """A new attempt to collect `amount_cents` for `pledge`. Idempotent on
    `idempotency_key` (derive it from our own rows, e.g. ``pledge-12-2026-03-a1``)."""
    method = PaymentMethod(method)
    try:
        positive_money(amount_cents, pledge.currency)
    except MoneyError:
        raise PaymentError("A payment is a positive whole number of cents.") from None
    with transaction.atomic():
        existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    pledge=pledge,
                    method=method,
                    amount_cents=amount_cents,
                    currency=pledge.currency,
                    idempotency_key=idempotency_key,
                    period_date=period_date,
                    attempt=attempt,
                    stripe_payment_intent_id=stripe_payment_intent_id,
                )
        except IntegrityError:  # pragma: postgresql only -- a race
            existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
            if existing is None:
                raise
            return existing
        PaymentEvent.objects.create(
            payment=payment,
            status=PaymentStatus.CREATED,
            at=timezone.now(),
            source=PaymentEventSource.SYSTEM,
        )
        log_action(
            action="funds.payment.created",
            obj=payment,
            actor=actor,
            data={"pledge": pledge.pk, "method": method.value, "amount_cents": amount_cents},
        )
    return payment


def payment_attach_stripe_intent(*, payment: Payment, stripe_payment_intent_id: str) -> Payment:
    """Remember the Stripe PaymentIntent of `payment` (same id again is a no-op)."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.stripe_payment_intent_id == stripe_payment_intent_id:
            return locked
        if locked.stripe_payment_intent_id:
            raise PaymentError(f"Payment #{locked.pk} already has another PaymentIntent.")
        locked.stripe_payment_intent_id = stripe_payment_intent_id
        locked.save(update_fields=["stripe_payment_intent_id", "updated_at"])
    return locked


def payment_transition(
    *,
    payment: Payment,
    to_status: PaymentStatus | str,
    source: PaymentEventSource | str,
    at: datetime | None = None,
    stripe_event_id: str = "",
    actor: Any = None,
    data: dict[str, Any] | None = None,
    failure_code: str = "",
    failure_message: str = "",
    locked: bool = False,
) -> Payment:
    """Move `payment` to `to_status` if the map allows it; a no-op when it is
    already there (replays are harmless). Records one `PaymentEvent` per status.
    With `locked`, `payment` is a row the caller locked in its open transaction."""
    to_status = PaymentStatus(to_status)
    source = PaymentEventSource(source)
    fields: dict[str, str] = {}
    if to_status == PaymentStatus.FAILED:
        fields = {"failure_code": failure_code[:100], "failure_message": failure_message[:500]}

    def record(locked: Payment, _previous: str) -> None:
        if to_status in {PaymentStatus.SUCCEEDED, PaymentStatus.FAILED}:
            payment_email_enqueue(payment=locked, kind=to_status.value)
        PaymentEvent.objects.create(
            payment=locked,
            status=to_status,
            at=at or timezone.now(),
            source=source,
            stripe_event_id=stripe_event_id,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            data=data or {},
        )

    def went_through(locked: Payment) -> bool:
        # A late or repeated report of a status the payment already went
        # through (``succeeded`` after ``refunded``): nothing to do.
        return PaymentEvent.objects.filter(payment=locked, status=to_status).exists()

    row, _changed = transition(
        instance=payment,
        to_status=to_status,
        transitions=PAYMENT_TRANSITIONS,
        action=f"funds.payment.{to_status.value}",
        actor=actor,
        fields=fields,
        event=record,
        data=lambda _locked, previous: {
            "from": previous,
            "source": source.value,
            "stripe_event_id": stripe_event_id,
        },
        went_through=went_through,
        locked=locked,
        error_cls=PaymentError,
        message=lambda locked, to: f"Payment #{locked.pk} cannot go from {locked.status} to {to}.",
    )
    return row


def payment_email_enqueue(*, payment: Payment, kind: str) -> None:
    """Email the people of `payment`'s contributor (its user and, for an
    organisation, its members) about it once the current transaction commits:
    `kind` is succeeded, failed or renewal_problem."""
    if kind not in ("succeeded", "failed", "renewal_problem"):
        raise ValueError(f"Unknown payment email {kind!r}.")
    contributor = payment.pledge.contributor
    members: set[int] = set()
    if contributor.kind == ContributorKind.ORGANISATION:  # only an organisation has members
        members.update(contributor.memberships.values_list("user_id", flat=True))
    payment_email_to(payment=payment, contributor=contributor, members=members, kind=kind)


def payment_email_to(
    *, payment: Payment, contributor: Contributor, members: set[int], kind: str
) -> None:
    """The mail of `payment_email_enqueue` to `contributor`'s user and `members`
    (read by the caller: one query for a whole batch of bookings)."""
    people = set(members)
    if contributor.user_id is not None:
        people.add(contributor.user_id)
    mail_enqueue(
        template=f"funds/email/payment_{kind}",
        recipients=sorted(people),
        context={
            "name": contributor.name,
            "amount_cents": payment.amount_cents,
            "failure_message": payment.failure_message,
        },
        links={"url": ("contributors:my_contributions", [])},
    )


def cash_kind_for(payment: Payment) -> AccountKind:
    if payment.method == PaymentMethod.BANK_TRANSFER:
        return AccountKind.BANK
    return AccountKind.STRIPE_CLEARING


def _receipt_journal(
    *, key: str, payment: Payment, gross_cents: int, fee_cents: int, at: datetime, memo: str
) -> Journal:
    """Cash gets the net, processor fees the fee, unallocated receipts the gross
    (the allocation run later closes fees against it)."""
    cash = cash_kind_for(payment)
    accounts = ledger_accounts(kinds=[cash, AccountKind.PROCESSOR_FEES, AccountKind.UNALLOCATED])
    return journal_post(
        source=JournalSource.RECEIPT,
        external_id=key,
        memo=memo,
        booked_at=at,
        legs=[
            (accounts[cash], gross_cents - fee_cents),
            (accounts[AccountKind.PROCESSOR_FEES], fee_cents),
            (accounts[AccountKind.UNALLOCATED], -gross_cents),
        ],
    )


def _check_amounts(gross_cents: int, processor_fee_cents: int) -> None:
    for value in (gross_cents, processor_fee_cents):
        try:
            Money(value, "EUR")
        except MoneyError:
            raise PaymentError("Amounts are whole cents.") from None


def check_receipt_amounts(gross_cents: int, processor_fee_cents: int) -> None:
    _check_amounts(gross_cents, processor_fee_cents)
    if gross_cents <= 0 or not 0 <= processor_fee_cents <= gross_cents:
        raise PaymentError("A receipt has a positive gross and a fee between 0 and the gross.")


def receipt_record_for_payment(
    *,
    payment: Payment,
    gross_cents: int,
    processor_fee_cents: int,
    received_at: datetime,
) -> Receipt:
    """The receipt of a succeeded payment, booked in the ledger, with the
    pledge's earmarks as they stand now. Idempotent: one receipt per payment."""
    check_receipt_amounts(gross_cents, processor_fee_cents)
    with transaction.atomic():
        locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        existing = Receipt.objects.filter(payment=locked, refund__isnull=True).first()
        if existing is not None:
            return existing
        if locked.status not in RECEIPTABLE_STATUSES:
            raise PaymentError(f"Payment #{locked.pk} has not succeeded ({locked.status}).")
        locked.pledge = Pledge.objects.select_related("contributor").get(pk=locked.pledge_id)
        return _receipt_book(
            locked=locked,
            gross_cents=gross_cents,
            processor_fee_cents=processor_fee_cents,
            received_at=received_at,
        )


def _receipt_book(
    *, locked: Payment, gross_cents: int, processor_fee_cents: int, received_at: datetime
) -> Receipt:
    """Book the first receipt of `locked` (locked, with its pledge and contributor)."""
    pledge = locked.pledge
    journal = _receipt_journal(
        key=f"payment-{locked.pk}",
        payment=locked,
        gross_cents=gross_cents,
        fee_cents=processor_fee_cents,
        at=received_at,
        memo=f"Receipt of payment #{locked.pk}",
    )
    receipt = Receipt.objects.create(
        payment=locked,
        pledge=pledge,
        contributor=pledge.contributor,
        gross_cents=gross_cents,
        processor_fee_cents=processor_fee_cents,
        net_cents=gross_cents - processor_fee_cents,
        currency=locked.currency,
        received_at=received_at,
        earmarks=[
            {"project_id": project_id, "share_bp": share_bp}
            for project_id, share_bp in pledge.earmarks.order_by("project_id").values_list(
                "project_id", "share_bp"
            )
        ],
        journal=journal,
    )
    receipt_earmarks_record(receipt=receipt)
    log_action(
        action="funds.receipt.recorded",
        obj=receipt,
        data={
            "payment": locked.pk,
            "gross_cents": gross_cents,
            "fee_cents": processor_fee_cents,
        },
    )
    return receipt


def payment_succeed(
    *,
    payment: Payment,
    gross_cents: int,
    processor_fee_cents: int,
    received_at: datetime,
    source: PaymentEventSource | str,
    stripe_event_id: str = "",
    actor: Any = None,
    locked: bool = False,
) -> Receipt:
    """The payment succeeded: transition, receipt, ledger, and the pledge goes
    live (a one-time pledge is completed). Safe to replay. With `locked`,
    `payment` is a row the caller locked in its open transaction, read with its
    pledge and contributor (the pledge locked too, on PostgreSQL): a Stripe
    booking's hot path, with no savepoint and no second read."""
    with transaction.atomic(savepoint=not locked):
        booked = payment.status in RECEIPTABLE_STATUSES
        payment = payment_transition(
            payment=payment,
            to_status=PaymentStatus.SUCCEEDED,
            source=source,
            at=received_at,
            stripe_event_id=stripe_event_id,
            actor=actor,
            locked=locked,
        )
        if locked and not booked:
            check_receipt_amounts(gross_cents, processor_fee_cents)
            receipt = _receipt_book(
                locked=payment,
                gross_cents=gross_cents,
                processor_fee_cents=processor_fee_cents,
                received_at=received_at,
            )
        else:
            receipt = receipt_record_for_payment(
                payment=payment,
                gross_cents=gross_cents,
                processor_fee_cents=processor_fee_cents,
                received_at=received_at,
            )
        pledge_record_payment_success(pledge=receipt.pledge, actor=actor, locked=locked)
    return receipt


def receipt_earmarks_record(*, receipt: Receipt) -> None:
    """The receipt's snapshot as lines (one per project) beside its JSON copy:
    the form the monthly allocation sums in the database."""
    ReceiptEarmark.objects.bulk_create(
        ReceiptEarmark(receipt=receipt, project_id=e["project_id"], share_bp=e["share_bp"])
        for e in receipt.earmarks
    )
