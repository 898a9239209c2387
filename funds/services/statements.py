"""Bank statements: a CAMT.053 statement of the fund's account is recorded at
once, then its lines are matched to payment requests and booked, in batches,
by the ``funds.import_statement`` task (or at once, for the API)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import iban as iban_numbers

from funds.camt import Statement, StatementEntry, StatementFormatError, parse_statement
from funds.enums import (
    BANK_STATEMENT_TRANSITIONS,
    BankStatementStatus,
    PaymentRequestStatus,
    StatementLineStatus,
)
from funds.models import BankStatement, BankStatementLine, PaymentRequest
from funds.services.bank_transfers import StatementError, _line_book
from librery.services import log_action
from librery.transitions import transition


@dataclass(frozen=True)
class StatementImport:
    statements: list[BankStatement]
    created: bool


# Lines matched and booked per transaction: the statement page shows the progress
# between batches, and a worker killed in the middle resumes after the last one.
STATEMENT_BATCH = 500


def _classify(line: BankStatementLine, references: tuple[str, ...]) -> None:
    """Match a credit line by reference, then by what the request still awaits;
    sets status and request. The request is locked (``select_for_update``) and
    read under the lock, so parallel statements get the sequential answer."""
    if not line.is_credit:
        line.status = StatementLineStatus.DEBIT
        return
    if line.is_return:
        line.status = StatementLineStatus.RETURNED
        return
    request = None
    if line.currency == "EUR" and references:
        request = (
            PaymentRequest.objects.select_for_update(of=("self",))
            .filter(reference__in=references)
            .order_by("pk")
            .first()
        )
    if request is None:
        line.status = StatementLineStatus.UNMATCHED
        return
    line.payment_request = request
    line.reference_found = request.reference
    if request.status == PaymentRequestStatus.CANCELLED:
        line.status = StatementLineStatus.REQUEST_CANCELLED
    elif request.status != PaymentRequestStatus.AWAITING_PAYMENT:
        line.status = StatementLineStatus.OVERPAID
    elif line.amount_cents == request.remaining_cents:
        line.status = StatementLineStatus.MATCHED
    elif line.amount_cents < request.remaining_cents:
        line.status = StatementLineStatus.PARTIAL
    else:
        line.status = StatementLineStatus.OVERPAID


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
        parsed = parse_statement(content)
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
                    "lines_total": len(item.entries),
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
                data={"lines": len(item.entries), "sha256": digest},
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


def _entry_references(entries: list[StatementEntry]) -> list[str]:
    """Each entry's reference, unique in its statement (the same bank reference
    twice gets ``#n``): the same every time the statement is read."""
    seen: set[str] = set()
    references = []
    for entry in entries:
        reference = entry.entry_reference
        if reference in seen:
            reference = f"{reference}#{len(seen)}"
        seen.add(reference)
        references.append(reference)
    return references


def _line_record(
    *, statement: BankStatement, entry: StatementEntry, reference: str, actor: Any
) -> None:
    line = BankStatementLine(
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
    _classify(line, entry.references)
    line.save()
    if line.status == StatementLineStatus.MATCHED:
        _line_book(line=line, actor=actor)


def _statement_lines_of(statement: BankStatement) -> list[StatementEntry]:
    for item in parse_statement(bytes(statement.content)):
        if item.statement_id == statement.statement_id:
            return item.entries
    raise StatementFormatError(_("The file holds no statement."))


def bank_statement_process(
    *,
    statement: BankStatement,
    actor: Any = None,
    batch_size: int = STATEMENT_BATCH,
    batches: int | None = None,
) -> BankStatement:
    """Match and book the lines of a recorded statement, `batch_size` lines per
    transaction under a lock on the statement, from the first line not done
    yet: a re-run resumes, and does nothing once the statement is done.
    `batches` stops after that many batches (the statement stays "processing").
    A statement that cannot be read any more is marked failed with the reason."""
    BankStatement.objects.filter(pk=statement.pk, status=BankStatementStatus.RECEIVED).update(
        status=BankStatementStatus.PROCESSING
    )
    current = BankStatement.objects.get(pk=statement.pk)
    if current.status in {BankStatementStatus.DONE, BankStatementStatus.FAILED}:
        return current
    try:
        entries = _statement_lines_of(current)
    except StatementFormatError as error:
        failed, _changed = transition(
            instance=current,
            to_status=BankStatementStatus.FAILED,
            transitions=BANK_STATEMENT_TRANSITIONS,
            action="funds.bank_statement.failed",
            error_cls=StatementError,
            actor=actor,
            fields={"error": str(error), "processed_at": timezone.now()},
            data={"error": str(error)},
        )
        return failed
    references = _entry_references(entries)
    done_batches = 0
    while batches is None or done_batches < batches:
        with transaction.atomic():
            locked = BankStatement.objects.select_for_update(of=("self",)).get(pk=current.pk)
            if locked.status != BankStatementStatus.PROCESSING:  # pragma: no cover -- a race:
                return locked  # another worker finished it while this one waited for the lock
            start = locked.lines_done
            if start >= len(entries):
                return _statement_done(locked, actor=actor)
            end = min(start + batch_size, len(entries))
            _lock_requests(entries[start:end])
            for index in range(start, end):
                _line_record(
                    statement=locked, entry=entries[index], reference=references[index], actor=actor
                )
            locked.lines_done = end
            locked.save(update_fields=["lines_done"])
        done_batches += 1
    return BankStatement.objects.get(pk=current.pk)


def _lock_requests(entries: list[StatementEntry]) -> None:
    """Lock every payment request a batch may pay, in one order (no deadlock
    between two statements' batches), before matching its lines."""
    references = {reference for entry in entries for reference in entry.references}
    if references:
        list(
            PaymentRequest.objects.select_for_update(of=("self",))
            .filter(reference__in=references)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


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
