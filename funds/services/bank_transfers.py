"""Bank transfers: numbered payment requests, CAMT.053 statements, manual booking."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from contributors.enums import PledgeFrequency, PledgeStatus
from contributors.models import Pledge
from contributors.services import pledge_schedule_next_charge
from funds.enums import (
    PAYMENT_REQUEST_TRANSITIONS,
    STATEMENT_LINE_TRANSITIONS,
    PaymentEventSource,
    PaymentMethod,
    PaymentRequestStatus,
    PaymentStatus,
    StatementLineStatus,
)
from funds.errors import FundsError
from funds.models import (
    BankStatementLine,
    Payment,
    PaymentRequest,
    PaymentRequestCounter,
)
from funds.money import MoneyError, format_money, positive_money
from funds.services.payments import (
    PaymentError,
    payment_create,
    payment_succeed,
    payment_transition,
    receipt_record_for_payment,
)
from librery.services import log_action
from librery.transitions import transition


def structured_reference(*, year: int, sequence: int) -> str:
    """The ISO 11649 (RF) creditor reference of a payment request."""
    body = f"LIB{year}{sequence:06d}"
    return iso11649.compact("RF" + mod_97_10.calc_check_digits(body + "RF") + body)


def payment_request_issue(
    *, pledge: Pledge, actor: Any = None, at: datetime | None = None
) -> PaymentRequest:
    """A payment request for the pledge's amount, numbered without gaps in its
    year (``2026-000042``), with a unique structured reference, awaiting the
    transfer. A pledge with a request still awaiting payment gets that one back."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = Pledge.objects.select_for_update(of=("self",)).get(pk=pledge.pk)
        if locked.payment_method != PaymentMethod.BANK_TRANSFER:
            raise PaymentError(f"Pledge #{locked.pk} is not paid by bank transfer.")
        waiting = PaymentRequest.objects.filter(
            pledge=locked, status=PaymentRequestStatus.AWAITING_PAYMENT
        ).first()
        if waiting is not None:
            return waiting
        year = timezone.localtime(at).year
        PaymentRequestCounter.objects.get_or_create(year=year)
        counter = PaymentRequestCounter.objects.select_for_update().get(year=year)
        counter.last_number += 1
        counter.save(update_fields=["last_number"])
        sequence = counter.last_number
        payment = payment_create(
            pledge=locked,
            method=PaymentMethod.BANK_TRANSFER,
            amount_cents=locked.amount_cents,
            idempotency_key=f"payment-request-{year}-{sequence:06d}",
            actor=actor,
        )
        payment = payment_transition(
            payment=payment,
            to_status=PaymentStatus.PENDING,
            source=PaymentEventSource.SYSTEM,
            actor=actor,
        )
        request = PaymentRequest.objects.create(
            pledge=locked,
            payment=payment,
            year=year,
            sequence=sequence,
            number=f"{year}-{sequence:06d}",
            reference=structured_reference(year=year, sequence=sequence),
            amount_cents=locked.amount_cents,
            currency=locked.currency,
            issued_at=at,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        log_action(
            action="funds.payment_request.issued",
            obj=request,
            actor=actor,
            data={
                "pledge": locked.pk,
                "amount_cents": request.amount_cents,
                "reference": request.reference,
            },
        )
    return request


class StatementError(FundsError, ValueError):
    """A statement or a decision on one of its lines that cannot be accepted."""


# Unreachable: every caller checks the locked line's status before the transition.
def _line_refused(line: BankStatementLine, _to_status: str) -> str:  # pragma: no cover
    if line.status in {StatementLineStatus.BOOKED, StatementLineStatus.IGNORED}:
        return _("This line was already decided.")
    return _("Only incoming transfers can be booked.")


def _request_refused(_request: PaymentRequest, _to_status: str) -> str:
    return _("This payment request is not awaiting payment.")


def _line_book(*, line: BankStatementLine, actor: Any, accepted: bool = False) -> BankStatementLine:
    """Book a credit line, once, as a receipt for its payment request; `accepted`
    when an administrator decided it (a different amount is then accepted)."""

    def book(locked: BankStatementLine) -> list[str]:
        locked.booked_payment = _line_receive(line=locked, actor=actor, accepted=accepted)
        return ["booked_payment"]

    booked, _changed = transition(
        instance=line,
        to_status=StatementLineStatus.BOOKED,
        transitions=STATEMENT_LINE_TRANSITIONS,
        action="funds.bank_statement_line.booked",
        actor=actor,
        prepare=book,
        data=lambda locked, _previous: {
            "payment": locked.booked_payment_id,
            "amount_cents": locked.amount_cents,
        },
        error_cls=StatementError,
        message=_line_refused,
    )
    return booked


def _received_at(booking_date: date | None) -> datetime:
    if booking_date is None:
        return timezone.now()
    return datetime.combine(booking_date, time(12), tzinfo=timezone.get_current_timezone())


def _request_payment(
    *, request: PaymentRequest, amount_cents: int, idempotency_key: str, actor: Any
) -> tuple[Payment, bool]:
    """The payment that receives `amount_cents` for a locked request: its own
    while pending (for the amount received), else a new one; and whether it is new."""
    payment = Payment.objects.select_for_update(of=("self",)).get(pk=request.payment_id)
    if payment.status == PaymentStatus.PENDING:
        if payment.amount_cents != amount_cents:
            payment.amount_cents = amount_cents
            payment.save(update_fields=["amount_cents", "updated_at"])
        return payment, False
    extra = payment_create(
        pledge=request.pledge,
        method=PaymentMethod.BANK_TRANSFER,
        amount_cents=amount_cents,
        idempotency_key=idempotency_key,
        actor=actor,
    )
    return extra, True


def _receive(
    *,
    payment: Payment,
    amount_cents: int,
    received_at: datetime,
    source: PaymentEventSource,
    actor: Any,
    settles: bool,
) -> None:
    """The payment succeeded with its receipt; the pledge counts as paid only
    when the request is `settles` (a partial payment leaves a one-time pledge
    awaiting the rest)."""
    if settles:
        payment_succeed(
            payment=payment,
            gross_cents=amount_cents,
            processor_fee_cents=0,
            received_at=received_at,
            source=source,
            actor=actor,
        )
        return
    payment_transition(
        payment=payment,
        to_status=PaymentStatus.SUCCEEDED,
        source=source,
        at=received_at,
        actor=actor,
    )
    receipt_record_for_payment(
        payment=payment, gross_cents=amount_cents, processor_fee_cents=0, received_at=received_at
    )


def _accept_difference(request: PaymentRequest, *, actor: Any, reason: str = "") -> None:
    request.difference_accepted_by = actor if getattr(actor, "is_authenticated", False) else None
    request.difference_accepted_at = timezone.now()
    request.difference_reason = reason
    request.save(
        update_fields=["difference_accepted_by", "difference_accepted_at", "difference_reason"]
    )


def _line_receive(*, line: BankStatementLine, actor: Any, accepted: bool) -> Payment:
    """The succeeded payment of a credit line (locked by the caller), for the
    amount on the line: its payment request's own, or an extra one when that
    one is already booked or cancelled; an awaiting request becomes paid. An
    administrator's decision records that a different amount was accepted."""
    if line.payment_request_id is None:  # pragma: no cover -- both callers set it first
        raise StatementError(_("Choose the payment request this transfer pays."))
    request = PaymentRequest.objects.select_for_update(of=("self",)).get(pk=line.payment_request_id)
    payment, _extra = _request_payment(
        request=request,
        amount_cents=line.amount_cents,
        idempotency_key=f"statement-line-{line.pk}",
        actor=actor,
    )
    _receive(
        payment=payment,
        amount_cents=line.amount_cents,
        received_at=_received_at(line.booking_date),
        source=PaymentEventSource.BANK_STATEMENT,
        actor=actor,
        settles=True,
    )
    request.received_cents += line.amount_cents
    request.save(update_fields=["received_cents"])
    if accepted and request.received_cents != request.amount_cents:
        _accept_difference(request, actor=actor)
    if request.status == PaymentRequestStatus.AWAITING_PAYMENT:
        transition(
            instance=request,
            to_status=PaymentRequestStatus.PAID,
            transitions=PAYMENT_REQUEST_TRANSITIONS,
            action="funds.payment_request.paid",
            actor=actor,
            error_cls=StatementError,
            message=_request_refused,
        )
    return payment


def statement_line_decide(
    *,
    line: BankStatementLine,
    decision: str,
    actor: Any,
    payment_request: PaymentRequest | None = None,
) -> BankStatementLine:
    """An administrator's decision on a line that was not booked automatically:
    ``book`` it (a partial or over-payment, a transfer for a cancelled request,
    or an unmatched line assigned to `payment_request` by hand) or ``ignore``
    it. The author is recorded, and on the request that a different amount was
    accepted; a line is booked at most once."""
    if decision not in {"book", "ignore"}:
        raise StatementError(_("Choose to book or to ignore the line."))
    with transaction.atomic():
        locked = BankStatementLine.objects.select_for_update(of=("self",)).get(pk=line.pk)
        if locked.status in {StatementLineStatus.BOOKED, StatementLineStatus.IGNORED}:
            if locked.status == ("booked" if decision == "book" else "ignored"):
                return locked
            raise StatementError(_("This line was already decided."))
        if not locked.is_credit:
            raise StatementError(_("Only incoming transfers can be booked."))
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["decided_by", "decided_at"])
        if decision == "ignore":
            ignored, _changed = transition(
                instance=locked,
                to_status=StatementLineStatus.IGNORED,
                transitions=STATEMENT_LINE_TRANSITIONS,
                action="funds.bank_statement_line.ignored",
                actor=actor,
                error_cls=StatementError,
                message=_line_refused,
            )
            return ignored
        if payment_request is not None:
            locked.payment_request = payment_request
            locked.save(update_fields=["payment_request"])
        if locked.payment_request_id is None:
            raise StatementError(_("Choose the payment request this transfer pays."))
        if locked.currency != "EUR":
            raise StatementError(_("Only transfers in euros can be booked."))
        return _line_book(line=locked, actor=actor, accepted=True)


# A manual booking of an amount other than what is due says what it is.
MANUAL_PARTIAL = "partial"
MANUAL_ACCEPT = "accept"


def _check_manual_choice(*, due: int, amount_cents: int, choice: str, reason: str) -> None:
    if choice not in {"", MANUAL_PARTIAL, MANUAL_ACCEPT}:
        raise StatementError(_("Choose a partial payment or to accept it as full payment."))
    if amount_cents == due:
        return
    if not choice:
        raise StatementError(
            _(
                "%(received)s is not the %(due)s due: book it as a partial payment, "
                "or accept it as full payment and give the reason."
            )
            % {"received": format_money(amount_cents), "due": format_money(due)}
        )
    if choice == MANUAL_PARTIAL and amount_cents > due:
        raise StatementError(
            _(
                "A partial payment is less than the %(due)s due; accept a larger amount "
                "as full payment and give the reason."
            )
            % {"due": format_money(due)}
        )
    if choice == MANUAL_ACCEPT and not reason:
        raise StatementError(_("Give the reason for accepting this amount as full payment."))


def payment_request_mark_paid(
    *,
    request: PaymentRequest,
    amount_cents: int,
    received_at: datetime,
    actor: Any,
    choice: str = "",
    reason: str = "",
) -> PaymentRequest:
    """Manual reconciliation: an administrator saw a transfer on the bank
    account and books the amount received (the payment is for that amount; the
    author is recorded on the payment event). An amount other than what is
    still due needs a choice: ``partial`` (less: the request stays open for the
    rest) or ``accept`` as full payment, with a reason kept on the request and
    in the audit log."""
    try:
        positive_money(amount_cents, request.currency)
    except MoneyError:
        raise StatementError(_("Enter the amount received.")) from None
    reason = reason.strip()
    with transaction.atomic():
        locked = PaymentRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
        if locked.status != PaymentRequestStatus.AWAITING_PAYMENT:
            raise StatementError(_request_refused(locked, PaymentRequestStatus.PAID))
        due = locked.remaining_cents
        _check_manual_choice(due=due, amount_cents=amount_cents, choice=choice, reason=reason)
        payment, extra = _request_payment(
            request=locked,
            amount_cents=amount_cents,
            idempotency_key=f"payment-request-{locked.pk}-{locked.extra_payments.count() + 1}",
            actor=actor,
        )
        partial_payment = amount_cents < due and choice == MANUAL_PARTIAL
        _receive(
            payment=payment,
            amount_cents=amount_cents,
            received_at=received_at,
            source=PaymentEventSource.MANUAL,
            actor=actor,
            settles=not partial_payment,
        )
        if extra:
            locked.extra_payments.add(payment)
        locked.received_cents += amount_cents
        locked.save(update_fields=["received_cents"])
        if partial_payment:
            log_action(
                action="funds.payment_request.paid_partially",
                obj=locked,
                actor=actor,
                data={"amount_cents": amount_cents, "remaining_cents": locked.remaining_cents},
            )
            return locked
        if amount_cents != due:
            _accept_difference(locked, actor=actor, reason=reason)
        paid, _changed = transition(
            instance=locked,
            to_status=PaymentRequestStatus.PAID,
            transitions=PAYMENT_REQUEST_TRANSITIONS,
            action="funds.payment_request.paid_manually",
            actor=actor,
            data={
                "amount_cents": amount_cents,
                **({"choice": choice, "reason": reason} if choice else {}),
            },
            error_cls=StatementError,
            message=_request_refused,
        )
    return paid


def payment_request_cancel(*, request: PaymentRequest, actor: Any) -> PaymentRequest:
    """A request awaiting payment is cancelled (its pledge was): its own payment,
    still pending, fails; a transfer that comes later waits for an administrator.
    Already cancelled: nothing happens."""

    def fail_payment(locked: PaymentRequest) -> list[str]:
        payment = Payment.objects.get(pk=locked.payment_id)
        if payment.status == PaymentStatus.PENDING:
            payment_transition(
                payment=payment,
                to_status=PaymentStatus.FAILED,
                source=PaymentEventSource.SYSTEM,
                actor=actor,
                failure_code="request_cancelled",
                failure_message="The payment request was cancelled with its pledge.",
            )
        return []

    cancelled, _changed = transition(
        instance=request,
        to_status=PaymentRequestStatus.CANCELLED,
        transitions=PAYMENT_REQUEST_TRANSITIONS,
        action="funds.payment_request.cancelled",
        actor=actor,
        prepare=fail_payment,
        data={"pledge": request.pledge_id},
        error_cls=StatementError,
        message=_request_refused,
    )
    return cancelled


def payment_requests_issue_due(*, today: date, actor: Any = None) -> list[PaymentRequest]:
    """Monthly pledges paid by bank transfer: a new payment request for each
    active one whose month is due (once per month: the next month is
    scheduled as the request is issued; a request still awaiting payment is
    not duplicated). Safe to run twice."""
    issued: list[PaymentRequest] = []
    due = (
        Pledge.objects.filter(
            frequency=PledgeFrequency.MONTHLY,
            payment_method=PaymentMethod.BANK_TRANSFER,
            status=PledgeStatus.ACTIVE,
            next_charge_date__lte=today,
        )
        .exclude(payment_requests__status=PaymentRequestStatus.AWAITING_PAYMENT)
        .order_by("id")
    )
    for pledge in due:
        with transaction.atomic():
            charged = pledge.next_charge_date
            if charged is None:  # pragma: no cover -- filtered out above
                continue
            issued.append(payment_request_issue(pledge=pledge, actor=actor))
            pledge_schedule_next_charge(pledge=pledge, charged_date=charged)
    return issued
