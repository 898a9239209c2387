"""Bank statements: a CAMT.053 statement of the fund's account is recorded at
once, then its lines are matched to payment requests and booked, in batches,
by the ``funds.import_statement`` task (or at once, for the API)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import iban as iban_numbers

from funds.camt import (
    Statement,
    StatementEntry,
    StatementFormatError,
    scan_statements,
    statement_entries,
)
from funds.enums import (
    BANK_STATEMENT_TRANSITIONS,
    BankStatementStatus,
    PaymentEventSource,
    PaymentRequestStatus,
    PaymentStatus,
    StatementLineStatus,
)
from funds.models import BankStatement, BankStatementLine, Payment, PaymentRequest
from funds.services.bank_transfers import StatementError, _line_book, _received_at
from funds.services.bookings import payments_succeed_many
from librery.services import log_action, log_actions
from librery.transitions import transition


@dataclass(frozen=True)
class StatementImport:
    statements: list[BankStatement]
    created: bool


# Lines matched and booked per transaction: the statement page shows the progress
# between batches, and a worker killed in the middle resumes after the last one.
STATEMENT_BATCH = 500


def _classify(
    line: BankStatementLine, references: tuple[str, ...], requests: dict[str, PaymentRequest]
) -> PaymentRequest | None:
    """Match a credit line by reference (`requests`: the batch's, locked, by
    reference), then by what the request still awaits; sets status and request,
    and returns the request when the line pays what it awaits. That request is
    then marked paid here, in memory, so that the batch's next line for it gets
    the sequential answer (an overpayment)."""
    if not line.is_credit:
        line.status = StatementLineStatus.DEBIT
        return None
    if line.is_return:
        line.status = StatementLineStatus.RETURNED
        return None
    found = [requests[r] for r in references if r in requests] if line.currency == "EUR" else []
    request = min(found, key=lambda candidate: candidate.pk, default=None)
    if request is None:
        line.status = StatementLineStatus.UNMATCHED
        return None
    line.payment_request = request
    line.reference_found = request.reference
    if request.status == PaymentRequestStatus.CANCELLED:
        line.status = StatementLineStatus.REQUEST_CANCELLED
    elif request.status != PaymentRequestStatus.AWAITING_PAYMENT:
        line.status = StatementLineStatus.OVERPAID
    elif line.amount_cents == request.remaining_cents:
        line.status = StatementLineStatus.MATCHED
        request.received_cents += line.amount_cents
        request.status = PaymentRequestStatus.PAID
        return request
    elif line.amount_cents < request.remaining_cents:
        line.status = StatementLineStatus.PARTIAL
    else:
        line.status = StatementLineStatus.OVERPAID
    return None


def _check_account(parsed: list[Statement]) -> None:
    """Only the fund's own account: a statement of another account books nothing."""
    fund = iban_numbers.compact(settings.FUND_IBAN)
    for item in parsed:
        if iban_numbers.compact(item.account_iban) != fund:
            raise StatementError(
                _(
                    "This statement is for the account %(iban)s, not the fund's account "
                    "%(fund)s: nothing was recorded."
                )
                % {
                    "iban": iban_numbers.format(item.account_iban),
                    "fund": iban_numbers.format(settings.FUND_IBAN),
                }
            )


def _enqueue_processing(statement_id: int) -> None:
    # Tasks sit above services (they call them): imported here, when enqueuing.
    from funds.tasks import import_statement  # noqa: PLC0415 -- tasks import services

    import_statement.apply_async(kwargs={"statement_id": statement_id})


def bank_statement_import(
    *,
    content: bytes,
    filename: str,
    actor: Any,
    at: datetime | None = None,
    process: bool = True,
) -> StatementImport:
    """Record a CAMT.053 statement of the fund's account, then match and book
    its lines (`bank_statement_process`): at once, or with ``process=False`` in
    the ``funds.import_statement`` task enqueued after the commit (the page's
    upload: a long statement would outlast the web worker). A statement of
    another account, or one that cannot be read, is refused and nothing is
    stored. Uploading the same statement again changes nothing."""
    try:
        parsed = scan_statements(content)
    except StatementFormatError as error:
        raise StatementError(str(error)) from None
    _check_account(parsed)
    at = at or timezone.now()
    digest = hashlib.sha256(content).hexdigest()
    statements: list[BankStatement] = []
    created_ids: list[int] = []
    with transaction.atomic():
        for item in parsed:
            statement, created = BankStatement.objects.get_or_create(
                account_iban=item.account_iban,
                statement_id=item.statement_id,
                defaults={
                    "message_id": item.message_id,
                    "created_on_bank_at": item.created_at,
                    "filename": filename[:255],
                    "sha256": digest,
                    "uploaded_by": actor if getattr(actor, "is_authenticated", False) else None,
                    "uploaded_at": at,
                    "content": content,
                    "lines_total": item.entry_count,
                },
            )
            statements.append(statement)
            if not created:
                continue
            created_ids.append(statement.pk)
            log_action(
                action="funds.bank_statement.received",
                obj=statement,
                actor=actor,
                data={"lines": item.entry_count, "sha256": digest},
            )
            if not process:
                transaction.on_commit(partial(_enqueue_processing, statement.pk))
    if process:
        statements = [
            bank_statement_process(statement=statement, actor=actor)
            if statement.pk in created_ids
            else statement
            for statement in statements
        ]
    return StatementImport(statements=statements, created=bool(created_ids))


def _numbered(entries: Iterator[StatementEntry]) -> Iterator[tuple[str, StatementEntry]]:
    """Each entry with its reference, unique in its statement (the same bank
    reference twice gets ``#n``): the same every time the statement is read."""
    seen: set[str] = set()
    for entry in entries:
        reference = entry.entry_reference
        if reference in seen:
            reference = f"{reference}#{len(seen)}"
        seen.add(reference)
        yield reference, entry


def _line_of(statement: BankStatement, reference: str, entry: StatementEntry) -> BankStatementLine:
    return BankStatementLine(
        statement=statement,
        entry_reference=reference,
        amount_cents=entry.amount_cents,
        currency=entry.currency,
        is_credit=entry.is_credit,
        booking_date=entry.booking_date,
        debtor_name=entry.debtor_name,
        remittance_information=entry.remittance_information,
        end_to_end_id=entry.end_to_end_id,
        is_return=entry.is_return,
    )


def _batch_record(
    *, statement: BankStatement, batch: list[tuple[str, StatementEntry]], actor: Any
) -> None:
    """Record, match and book a batch of lines in a few statements: the payment
    requests they quote read (and locked, in one order: no deadlock between two
    statements' batches) at once, the lines written at once, and the lines
    matched in full booked at once when their request's own payment is still
    pending for that amount (the usual case; any other goes through
    `_line_book`, one by one).
    A line already recorded (its reference) is left as it is."""
    recorded = set(
        BankStatementLine.objects.filter(
            statement=statement, entry_reference__in=[reference for reference, _entry in batch]
        ).values_list("entry_reference", flat=True)
    )
    fresh = [(reference, entry) for reference, entry in batch if reference not in recorded]
    quoted = {
        reference
        for _reference, entry in fresh
        if entry.is_credit and not entry.is_return and entry.currency == "EUR"
        for reference in entry.references
    }
    requests = {
        request.reference: request
        for request in PaymentRequest.objects.select_for_update(of=("self",))
        .filter(reference__in=sorted(quoted))
        .order_by("pk")
    }
    lines, matched = [], []
    for reference, entry in fresh:
        line = _line_of(statement, reference, entry)
        request = _classify(line, entry.references, requests)
        lines.append(line)
        if request is not None:
            matched.append((line, request))
    payments = Payment.objects.select_for_update(of=("self",)).in_bulk(
        sorted(request.payment_id for _line, request in matched)
    )
    at_once = []
    for line, request in matched:
        payment = payments[request.payment_id]
        if payment.status == PaymentStatus.PENDING and payment.amount_cents == line.amount_cents:
            line.status, line.booked_payment = StatementLineStatus.BOOKED, payment
            at_once.append((line, request, payment))
    BankStatementLine.objects.bulk_create(lines)
    _book_at_once(at_once, actor=actor)
    for line, _request in matched:
        if line.status == StatementLineStatus.MATCHED:
            _line_book(line=line, actor=actor)


def _book_at_once(
    lines: list[tuple[BankStatementLine, PaymentRequest, Payment]], *, actor: Any
) -> None:
    """Lines (recorded as booked) that pay their requests' own pending payments:
    what `_line_book` does for one line, for them all."""
    payments_succeed_many(
        succeeded=[(payment, _received_at(line.booking_date)) for line, _r, payment in lines],
        source=PaymentEventSource.BANK_STATEMENT,
        actor=actor,
    )
    requests = [request for _line, request, _payment in lines]
    # Each line pays what its request still awaited: the request has received its amount.
    PaymentRequest.objects.filter(pk__in=[request.pk for request in requests]).update(
        status=PaymentRequestStatus.PAID, received_cents=F("amount_cents")
    )
    log_actions(
        entries=[
            *(("funds.payment_request.paid", request, {}) for request in requests),
            *(
                (
                    "funds.bank_statement_line.booked",
                    line,
                    {"payment": payment.pk, "amount_cents": line.amount_cents},
                )
                for line, _request, payment in lines
            ),
        ],
        actor=actor,
    )


def bank_statement_process(
    *,
    statement: BankStatement,
    actor: Any = None,
    batch_size: int = STATEMENT_BATCH,
    batches: int | None = None,
) -> BankStatement:
    """Match and book the lines of a recorded statement, `batch_size` lines per
    transaction under a lock on the statement, from the first line not done
    yet: a re-run resumes, and does nothing once the statement is done. The
    file is streamed, its entries read as the batches need them (the upload
    read them all: only a file changed since fails here, marked failed with
    the reason). `batches` stops after that many batches (the statement stays
    "processing")."""
    BankStatement.objects.filter(pk=statement.pk, status=BankStatementStatus.RECEIVED).update(
        status=BankStatementStatus.PROCESSING
    )
    current = BankStatement.objects.get(pk=statement.pk)
    if current.status in {BankStatementStatus.DONE, BankStatementStatus.FAILED}:
        return current
    entries = _numbered(statement_entries(bytes(current.content), current.statement_id))
    position = done_batches = 0
    while batches is None or done_batches < batches:
        with transaction.atomic():
            # The file stays out of the row read each batch (it is up to 50 MB).
            locked = (
                BankStatement.objects.select_for_update(of=("self",))
                .defer("content")
                .get(pk=current.pk)
            )
            if locked.status != BankStatementStatus.PROCESSING:  # pragma: no cover -- a race:
                return locked  # another worker finished it while this one waited for the lock
            # Another worker may have booked batches meanwhile: skip what it did.
            skip = locked.lines_done - position
            try:
                batch = list(islice(entries, skip, skip + batch_size))
            except StatementFormatError as error:
                return _statement_failed(locked, error=error, actor=actor)
            if not batch:
                return _statement_done(locked, actor=actor)
            _batch_record(statement=locked, batch=batch, actor=actor)
            position = locked.lines_done = locked.lines_done + len(batch)
            locked.save(update_fields=["lines_done"])
        done_batches += 1
    return BankStatement.objects.defer("content").get(pk=current.pk)


def _statement_failed(
    locked: BankStatement, *, error: StatementFormatError, actor: Any
) -> BankStatement:
    failed, _changed = transition(
        instance=locked,
        to_status=BankStatementStatus.FAILED,
        transitions=BANK_STATEMENT_TRANSITIONS,
        action="funds.bank_statement.failed",
        error_cls=StatementError,
        actor=actor,
        fields={"error": str(error), "processed_at": timezone.now()},
        data={"error": str(error)},
    )
    return failed


def _statement_done(locked: BankStatement, *, actor: Any) -> BankStatement:
    done, _changed = transition(
        instance=locked,
        to_status=BankStatementStatus.DONE,
        transitions=BANK_STATEMENT_TRANSITIONS,
        action="funds.bank_statement.imported",
        error_cls=StatementError,
        actor=actor,
        fields={"processed_at": timezone.now()},
        data=lambda row, _previous: {"lines": row.lines_done, "sha256": row.sha256},
    )
    return done
