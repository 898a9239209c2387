"""Writes of the fund: settings, the ledger, payments, refunds and receipts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from contributors.enums import PledgeFrequency, PledgeStatus
from contributors.models import Pledge
from contributors.services import pledge_record_payment_success, pledge_schedule_next_charge
from funds.camt import StatementFormatError, parse_statement
from funds.enums import (
    FUND_SETTING_BOUNDS,
    PAYMENT_TRANSITIONS,
    AccountKind,
    FundSettingKey,
    JournalSource,
    PaymentEventSource,
    PaymentMethod,
    PaymentRequestStatus,
    PaymentStatus,
    RefundKind,
    RefundStatus,
    StatementLineStatus,
)
from funds.models import (
    Account,
    BankStatement,
    BankStatementLine,
    FundSettingValue,
    Journal,
    JournalLeg,
    Payment,
    PaymentEvent,
    PaymentRequest,
    PaymentRequestCounter,
    Receipt,
    Refund,
)
from librery.services import log_action
from projects.models import Project

# A payment in these statuses has (or may have) a receipt.
RECEIPTABLE_STATUSES = frozenset(
    {PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED, PaymentStatus.DISPUTED}
)


class FundSettingError(ValueError):
    """A fund setting value that cannot be recorded; the message says why."""


def fund_setting_change(
    *,
    key: FundSettingKey | str,
    value: int,
    effective_at: datetime,
    decision_reference: str,
    actor: Any = None,
) -> FundSettingValue:
    """Record a new value of a fund setting, set by an adopted decision.

    Only governance (an adopted motion's effect) calls this; the value applies
    from `effective_at` on. Replaying the same change is a no-op."""
    try:
        setting = FundSettingKey(key)
    except ValueError:
        raise FundSettingError(f"Unknown fund setting {key!r}.") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise FundSettingError(f"{setting.value} must be a whole number.")
    low, high = FUND_SETTING_BOUNDS[setting]
    if not low <= value <= high:
        raise FundSettingError(f"{setting.value} must be between {low} and {high}, not {value}.")
    if not decision_reference.strip():
        raise FundSettingError("A fund setting changes only through a recorded decision.")
    with transaction.atomic():
        existing = (
            FundSettingValue.objects.select_for_update()
            .filter(key=setting, effective_at=effective_at)
            .first()
        )
        if existing is not None:
            if existing.value == value and existing.decision_reference == decision_reference:
                return existing
            raise FundSettingError(
                f"{setting.value} already has a value from {effective_at:%Y-%m-%d %H:%M}."
            )
        row = FundSettingValue.objects.create(
            key=setting,
            value=value,
            effective_at=effective_at,
            decision_reference=decision_reference.strip(),
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        log_action(
            action="funds.setting.changed",
            obj=row,
            actor=actor,
            data={"key": setting.value, "value": value, "decision": row.decision_reference},
        )
    return row


# --- The ledger ---------------------------------------------------------------


class LedgerError(ValueError):
    """A journal that cannot be booked; the message says why."""


LegSpec = tuple[Account, int]


def ledger_account(*, kind: AccountKind | str, project: Project | None = None) -> Account:
    """The account of `kind` (and `project`, for a project balance), created on first use."""
    kind = AccountKind(kind)
    if (kind == AccountKind.PROJECT) != (project is not None):
        raise LedgerError("A project balance needs its project, and only it does.")
    lookup = {"kind": kind, "project": project}
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(**lookup)
    except IntegrityError:
        return Account.objects.get(**lookup)


def _same_legs(journal: Journal, legs: list[LegSpec]) -> bool:
    stored = sorted(journal.legs.values_list("account_id", "amount_cents"))
    return stored == sorted((account.pk, cents) for account, cents in legs)


def journal_post(
    *,
    source: JournalSource | str,
    external_id: str,
    memo: str,
    legs: list[LegSpec],
    booked_at: datetime | None = None,
) -> Journal:
    """Book one outside event: legs (account, cents; positive debits, negative
    credits) that sum to zero. One journal per (source, external_id): replaying
    the same event returns the journal already booked; the same id with other
    legs is refused."""
    source = JournalSource(source)
    if not external_id:
        raise LedgerError("A journal needs the id of the event it books.")
    legs = [(account, cents) for account, cents in legs if cents != 0]
    for _account, cents in legs:
        if isinstance(cents, bool) or not isinstance(cents, int):
            raise LedgerError("Ledger amounts are whole cents.")
    if len(legs) < 2:  # noqa: PLR2004 -- double entry
        raise LedgerError("A journal needs at least two non-zero legs.")
    if sum(cents for _account, cents in legs) != 0:
        raise LedgerError("A journal's legs must sum to zero.")
    with transaction.atomic():
        existing = Journal.objects.filter(source=source, external_id=external_id).first()
        if existing is None:
            try:
                with transaction.atomic():
                    journal = Journal.objects.create(
                        source=source,
                        external_id=external_id,
                        memo=memo[:300],
                        booked_at=booked_at or timezone.now(),
                    )
                    JournalLeg.objects.bulk_create(
                        JournalLeg(journal=journal, account=account, amount_cents=cents)
                        for account, cents in legs
                    )
                    return journal
            except IntegrityError:
                existing = Journal.objects.filter(source=source, external_id=external_id).first()
                if existing is None:
                    raise
        if not _same_legs(existing, legs):
            raise LedgerError(
                f"{source}:{external_id} is already booked with other amounts; "
                "book a correction as a new journal."
            )
        return existing


# --- Payments -----------------------------------------------------------------


class PaymentError(ValueError):
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
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise PaymentError("A payment is a positive whole number of cents.")
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
        except IntegrityError:
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
) -> Payment:
    """Move `payment` to `to_status` if the map allows it; a no-op when it is
    already there (replays are harmless). Records one `PaymentEvent` per status."""
    to_status = PaymentStatus(to_status)
    source = PaymentEventSource(source)
    with transaction.atomic():
        locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        if locked.status == to_status:
            return locked
        if to_status not in PAYMENT_TRANSITIONS[locked.status]:
            if PaymentEvent.objects.filter(payment=locked, status=to_status).exists():
                # A late or repeated report of a status the payment already went
                # through (``succeeded`` after ``refunded``): nothing to do.
                return locked
            raise PaymentError(
                f"Payment #{locked.pk} cannot go from {locked.status} to {to_status}."
            )
        previous = locked.status
        locked.status = to_status
        fields = ["status", "updated_at"]
        if to_status == PaymentStatus.FAILED:
            locked.failure_code = failure_code[:100]
            locked.failure_message = failure_message[:500]
            fields += ["failure_code", "failure_message"]
        locked.save(update_fields=fields)
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
        log_action(
            action=f"funds.payment.{to_status.value}",
            obj=locked,
            actor=actor,
            data={"from": previous, "source": source.value, "stripe_event_id": stripe_event_id},
        )
    return locked


def payment_email_enqueue(*, payment: Payment, kind: str) -> None:
    """Email the contributor about `payment` once the current transaction commits."""
    from funds.tasks import send_payment_email  # noqa: PLC0415 -- tasks import this module

    payment_id = payment.pk
    transaction.on_commit(lambda: send_payment_email.delay(payment_id=payment_id, kind=kind))


def _cash_account_for(payment: Payment) -> Account:
    kind = (
        AccountKind.BANK
        if payment.method == PaymentMethod.BANK_TRANSFER
        else AccountKind.STRIPE_CLEARING
    )
    return ledger_account(kind=kind)


def _receipt_journal(
    *, key: str, payment: Payment, gross_cents: int, fee_cents: int, at: datetime, memo: str
) -> Journal:
    """Cash gets the net, processor fees the fee, unallocated receipts the gross
    (the allocation run later closes fees against it)."""
    return journal_post(
        source=JournalSource.RECEIPT,
        external_id=key,
        memo=memo,
        booked_at=at,
        legs=[
            (_cash_account_for(payment), gross_cents - fee_cents),
            (ledger_account(kind=AccountKind.PROCESSOR_FEES), fee_cents),
            (ledger_account(kind=AccountKind.UNALLOCATED), -gross_cents),
        ],
    )


def _check_amounts(gross_cents: int, processor_fee_cents: int) -> None:
    for value in (gross_cents, processor_fee_cents):
        if isinstance(value, bool) or not isinstance(value, int):
            raise PaymentError("Amounts are whole cents.")


def receipt_record_for_payment(
    *,
    payment: Payment,
    gross_cents: int,
    processor_fee_cents: int,
    received_at: datetime,
) -> Receipt:
    """The receipt of a succeeded payment, booked in the ledger, with the
    pledge's earmarks as they stand now. Idempotent: one receipt per payment."""
    _check_amounts(gross_cents, processor_fee_cents)
    if gross_cents <= 0 or not 0 <= processor_fee_cents <= gross_cents:
        raise PaymentError("A receipt has a positive gross and a fee between 0 and the gross.")
    with transaction.atomic():
        locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        existing = Receipt.objects.filter(payment=locked, refund__isnull=True).first()
        if existing is not None:
            return existing
        if locked.status not in RECEIPTABLE_STATUSES:
            raise PaymentError(f"Payment #{locked.pk} has not succeeded ({locked.status}).")
        pledge = Pledge.objects.select_related("contributor").get(pk=locked.pledge_id)
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
) -> Receipt:
    """The payment succeeded: transition, receipt, ledger, and the pledge goes
    live (a one-time pledge is completed). Safe to replay."""
    with transaction.atomic():
        payment = payment_transition(
            payment=payment,
            to_status=PaymentStatus.SUCCEEDED,
            source=source,
            at=received_at,
            stripe_event_id=stripe_event_id,
            actor=actor,
        )
        receipt = receipt_record_for_payment(
            payment=payment,
            gross_cents=gross_cents,
            processor_fee_cents=processor_fee_cents,
            received_at=received_at,
        )
        pledge_record_payment_success(pledge=receipt.pledge, actor=actor)
    return receipt


def _refundable_cents(payment: Payment) -> int:
    """What was actually received for the payment (its receipt), else its amount."""
    gross = (
        Receipt.objects.filter(payment=payment, refund__isnull=True)
        .values_list("gross_cents", flat=True)
        .first()
    )
    return payment.amount_cents if gross is None else gross


def refund_record(
    *,
    payment: Payment,
    kind: RefundKind | str,
    amount_cents: int,
    reason: str = "",
    stripe_refund_id: str | None = None,
    stripe_dispute_id: str | None = None,
    source: PaymentEventSource | str = PaymentEventSource.SYSTEM,
    stripe_event_id: str = "",
    actor: Any = None,
) -> Refund:
    """A refund or a dispute opened on a succeeded payment, for an
    administrator to review. Idempotent on the Stripe id. A dispute marks the
    payment disputed."""
    kind = RefundKind(kind)
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise PaymentError("A refund is a positive whole number of cents.")
    with transaction.atomic():
        locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        lookup: dict[str, str] = {}
        if stripe_refund_id:
            lookup["stripe_refund_id"] = stripe_refund_id
        if stripe_dispute_id:
            lookup["stripe_dispute_id"] = stripe_dispute_id
        if lookup:
            existing = Refund.objects.filter(**lookup).first()
            if existing is not None:
                return existing
        if locked.status not in RECEIPTABLE_STATUSES:
            raise PaymentError(f"Payment #{locked.pk} has not succeeded ({locked.status}).")
        already = sum(
            Refund.objects.filter(payment=locked)
            .exclude(status=RefundStatus.FAILED)
            .values_list("amount_cents", flat=True)
        )
        if already + amount_cents > _refundable_cents(locked):
            raise PaymentError("Refunds cannot exceed the payment.")
        refund = Refund.objects.create(
            payment=locked,
            kind=kind,
            amount_cents=amount_cents,
            currency=locked.currency,
            reason=reason[:300],
            stripe_refund_id=stripe_refund_id or None,
            stripe_dispute_id=stripe_dispute_id or None,
        )
        log_action(
            action=f"funds.{kind.value}.opened",
            obj=refund,
            actor=actor,
            data={"payment": locked.pk, "amount_cents": amount_cents},
        )
        if kind == RefundKind.DISPUTE:
            payment_transition(
                payment=locked,
                to_status=PaymentStatus.DISPUTED,
                source=source,
                stripe_event_id=stripe_event_id,
                actor=actor,
            )
    return refund


def refund_succeed(
    *,
    refund: Refund,
    received_at: datetime,
    processor_fee_cents: int = 0,
    source: PaymentEventSource | str = PaymentEventSource.SYSTEM,
    stripe_event_id: str = "",
    actor: Any = None,
) -> Receipt:
    """The money went back (a refund paid, a dispute lost): a negative receipt
    carrying the reversed receipt's earmarks, booked in the ledger. A dispute
    fee is `processor_fee_cents`. The payment becomes refunded once refunds
    cover it. Idempotent."""
    _check_amounts(0, processor_fee_cents)
    if processor_fee_cents < 0:
        raise PaymentError("A processor fee cannot be negative.")
    with transaction.atomic():
        locked = Refund.objects.select_for_update(of=("self",)).get(pk=refund.pk)
        existing = Receipt.objects.filter(refund=locked).first()
        if existing is not None:
            return existing
        if locked.status == RefundStatus.FAILED:
            raise PaymentError(f"Refund #{locked.pk} failed; it moved no money.")
        original = Receipt.objects.filter(payment_id=locked.payment_id, refund__isnull=True).first()
        if original is None:
            raise PaymentError(f"Payment #{locked.payment_id} has no receipt to reverse.")
        payment = Payment.objects.get(pk=locked.payment_id)
        gross = -locked.amount_cents
        journal = _receipt_journal(
            key=f"refund-{locked.pk}",
            payment=payment,
            gross_cents=gross,
            fee_cents=processor_fee_cents,
            at=received_at,
            memo=f"{locked.kind} #{locked.pk} of payment #{payment.pk}",
        )
        receipt = Receipt.objects.create(
            payment=payment,
            refund=locked,
            reverses=original,
            pledge_id=original.pledge_id,
            contributor_id=original.contributor_id,
            gross_cents=gross,
            processor_fee_cents=processor_fee_cents,
            net_cents=gross - processor_fee_cents,
            currency=locked.currency,
            received_at=received_at,
            earmarks=original.earmarks,
            journal=journal,
        )
        locked.status = RefundStatus.SUCCEEDED
        locked.save(update_fields=["status"])
        log_action(
            action=f"funds.{locked.kind}.succeeded",
            obj=locked,
            actor=actor,
            data={"receipt": receipt.pk, "gross_cents": gross},
        )
        refunded = sum(
            Refund.objects.filter(payment=payment, status=RefundStatus.SUCCEEDED).values_list(
                "amount_cents", flat=True
            )
        )
        if refunded >= _refundable_cents(payment):
            payment_transition(
                payment=payment,
                to_status=PaymentStatus.REFUNDED,
                source=source,
                at=received_at,
                stripe_event_id=stripe_event_id,
                actor=actor,
            )
    return receipt


def refund_fail(*, refund: Refund, actor: Any = None) -> Refund:
    """The refund did not happen, or the dispute was won: no money moved."""
    with transaction.atomic():
        locked = Refund.objects.select_for_update(of=("self",)).get(pk=refund.pk)
        if locked.status == RefundStatus.FAILED:
            return locked
        if locked.status != RefundStatus.PENDING:
            raise PaymentError(f"Refund #{locked.pk} already succeeded.")
        locked.status = RefundStatus.FAILED
        locked.save(update_fields=["status"])
        log_action(action=f"funds.{locked.kind}.failed", obj=locked, actor=actor)
    return locked


def refund_mark_reviewed(*, refund: Refund, actor: Any) -> Refund:
    """An administrator has looked at this refund or dispute."""
    with transaction.atomic():
        locked = Refund.objects.select_for_update(of=("self",)).get(pk=refund.pk)
        if locked.reviewed_at is not None:
            return locked
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.save(update_fields=["reviewed_by", "reviewed_at"])
        log_action(action=f"funds.{locked.kind}.reviewed", obj=locked, actor=actor)
    return locked


# --- Bank transfers -------------------------------------------------------------


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


class StatementError(ValueError):
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


def _line_book(*, line: BankStatementLine, actor: Any) -> BankStatementLine:
    """Book a credit line as a receipt for its payment request (locked by the caller)."""
    if line.payment_request_id is None:
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
        request.status = PaymentRequestStatus.PAID
        request.save(update_fields=["status"])
        log_action(action="funds.payment_request.paid", obj=request, actor=actor)
    line.status = StatementLineStatus.BOOKED
    line.booked_payment = payment
    line.save(update_fields=["status", "booked_payment"])
    log_action(
        action="funds.bank_statement_line.booked",
        obj=line,
        actor=actor,
        data={"payment": payment.pk, "amount_cents": line.amount_cents},
    )
    return line


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
            locked.status = StatementLineStatus.IGNORED
            locked.save(update_fields=["status"])
            log_action(action="funds.bank_statement_line.ignored", obj=locked, actor=actor)
            return locked
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
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise StatementError(_("Enter the amount received."))
    with transaction.atomic():
        locked = PaymentRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
        if locked.status != PaymentRequestStatus.AWAITING_PAYMENT:
            raise StatementError(_("This payment request is not awaiting payment."))
        payment_succeed(
            payment=Payment.objects.get(pk=locked.payment_id),
            gross_cents=amount_cents,
            processor_fee_cents=0,
            received_at=received_at,
            source=PaymentEventSource.MANUAL,
            actor=actor,
        )
        locked.status = PaymentRequestStatus.PAID
        locked.save(update_fields=["status"])
        log_action(
            action="funds.payment_request.paid_manually",
            obj=locked,
            actor=actor,
            data={"amount_cents": amount_cents},
        )
    return locked


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
