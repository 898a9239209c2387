"""Bank transfers: numbered payment requests, CAMT.053 statements, manual booking."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
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
from funds.camt import StatementFormatError, parse_statement
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
    BankStatement,
    BankStatementLine,
    Payment,
    PaymentRequest,
    PaymentRequestCounter,
)
from funds.money import MoneyError, positive_money
from funds.services.payments import (
    PaymentError,
    payment_create,
    payment_succeed,
    payment_transition,
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


@dataclass(frozen=True)
class StatementImport:
    statements: list[BankStatement]
    created: bool


def _classify(line: BankStatementLine, references: tuple[str, ...]) -> None:
    """Match a credit line by reference, then amount; sets status and request."""
    if not line.is_credit:
        line.status = StatementLineStatus.DEBIT
        return
    request = None
    if line.currency == "EUR" and references:
        request = PaymentRequest.objects.filter(reference__in=references).first()
    if request is None:
        line.status = StatementLineStatus.UNMATCHED
        return
    line.payment_request = request
    line.reference_found = request.reference
    if request.status != PaymentRequestStatus.AWAITING_PAYMENT:
        line.status = StatementLineStatus.OVERPAID
    elif line.amount_cents == request.amount_cents:
        line.status = StatementLineStatus.MATCHED
    elif line.amount_cents < request.amount_cents:
        line.status = StatementLineStatus.PARTIAL
    else:
        line.status = StatementLineStatus.OVERPAID


def bank_statement_import(
    *, content: bytes, filename: str, actor: Any, at: datetime | None = None
) -> StatementImport:
    """Record a CAMT.053 statement: credit lines are matched to payment requests
    by structured reference and amount; exact matches are booked at once,
    partial and over-payments wait for an administrator's decision, the rest
    is listed as unmatched. Uploading the same statement again changes nothing."""
    try:
        parsed = parse_statement(content)
    except StatementFormatError as error:
        raise StatementError(str(error)) from None
    at = at or timezone.now()
    digest = hashlib.sha256(content).hexdigest()
    statements: list[BankStatement] = []
    created_any = False
    with transaction.atomic():
        for item in parsed:
            statement, created = BankStatement.objects.get_or_create(
                account_iban=item.account_iban,
                statement_id=item.statement_id,
                defaults={
                    "message_id": item.message_id[:140],
                    "created_on_bank_at": item.created_at,
                    "filename": filename[:255],
                    "sha256": digest,
                    "uploaded_by": actor if getattr(actor, "is_authenticated", False) else None,
                    "uploaded_at": at,
                },
            )
            statements.append(statement)
            if not created:
                continue
            created_any = True
            seen: set[str] = set()
            for entry in item.entries:
                reference = entry.entry_reference
                if reference in seen:  # the same bank reference twice in one statement
                    reference = f"{reference}#{len(seen)}"
                seen.add(reference)
                line = BankStatementLine(
                    statement=statement,
                    entry_reference=reference,
                    amount_cents=entry.amount_cents,
                    currency=entry.currency[:3],
                    is_credit=entry.is_credit,
                    booking_date=entry.booking_date,
                    debtor_name=entry.debtor_name,
                    remittance_information=entry.remittance_information,
                )
                _classify(line, entry.references)
                line.save()
                if line.status == StatementLineStatus.MATCHED:
                    _line_book(line=line, actor=actor)
            log_action(
                action="funds.bank_statement.imported",
                obj=statement,
                actor=actor,
                data={"lines": len(item.entries), "sha256": digest},
            )
    return StatementImport(statements=statements, created=created_any)


# Unreachable: every caller checks the locked line's status before the transition.
def _line_refused(line: BankStatementLine, _to_status: str) -> str:  # pragma: no cover
    if line.status in {StatementLineStatus.BOOKED, StatementLineStatus.IGNORED}:
        return _("This line was already decided.")
    return _("Only incoming transfers can be booked.")


def _request_refused(_request: PaymentRequest, _to_status: str) -> str:
    return _("This payment request is not awaiting payment.")


def _line_book(*, line: BankStatementLine, actor: Any) -> BankStatementLine:
    """Book a credit line, once, as a receipt for its payment request."""

    def book(locked: BankStatementLine) -> list[str]:
        locked.booked_payment = _line_receive(line=locked, actor=actor)
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


def _line_receive(*, line: BankStatementLine, actor: Any) -> Payment:
    """The succeeded payment of a credit line (locked by the caller): its payment
    request's own, or an extra one when that one is already booked; an awaiting
    request becomes paid."""
    if line.payment_request_id is None:  # pragma: no cover -- both callers set it first
        raise StatementError(_("Choose the payment request this transfer pays."))
    request = PaymentRequest.objects.select_for_update(of=("self",)).get(pk=line.payment_request_id)
    payment = Payment.objects.get(pk=request.payment_id)
    if payment.status != PaymentStatus.PENDING:
        # The request's own payment is already booked: this line is an extra payment.
        payment = payment_create(
            pledge=request.pledge,
            method=PaymentMethod.BANK_TRANSFER,
            amount_cents=line.amount_cents,
            idempotency_key=f"statement-line-{line.pk}",
            actor=actor,
        )
    received_at = timezone.now()
    if line.booking_date is not None:
        received_at = datetime.combine(
            line.booking_date, time(12), tzinfo=timezone.get_current_timezone()
        )
    payment_succeed(
        payment=payment,
        gross_cents=line.amount_cents,
        processor_fee_cents=0,
        received_at=received_at,
        source=PaymentEventSource.BANK_STATEMENT,
        actor=actor,
    )
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
    ``book`` it (a partial or over-payment, or an unmatched line assigned to
    `payment_request` by hand) or ``ignore`` it. The author is recorded; a
    line is booked at most once."""
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
        return _line_book(line=locked, actor=actor)


def payment_request_mark_paid(
    *, request: PaymentRequest, amount_cents: int, received_at: datetime, actor: Any
) -> PaymentRequest:
    """Manual reconciliation: an administrator saw the transfer on the bank
    account and books it by hand (the author is recorded on the payment event)."""
    try:
        positive_money(amount_cents, request.currency)
    except MoneyError:
        raise StatementError(_("Enter the amount received.")) from None
    with transaction.atomic():
        locked = PaymentRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
        if locked.status != PaymentRequestStatus.AWAITING_PAYMENT:
            raise StatementError(_request_refused(locked, PaymentRequestStatus.PAID))
        payment_succeed(
            payment=Payment.objects.get(pk=locked.payment_id),
            gross_cents=amount_cents,
            processor_fee_cents=0,
            received_at=received_at,
            source=PaymentEventSource.MANUAL,
            actor=actor,
        )
        paid, _changed = transition(
            instance=locked,
            to_status=PaymentRequestStatus.PAID,
            transitions=PAYMENT_REQUEST_TRANSITIONS,
            action="funds.payment_request.paid_manually",
            actor=actor,
            data={"amount_cents": amount_cents},
            error_cls=StatementError,
            message=_request_refused,
        )
    return paid


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
