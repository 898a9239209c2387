"""Payout batches and payouts (allocation.md, "Disbursement").

The second valid approval creates a run's batch (in a task): every project of
the report whose payout is proposed (balance at least the threshold, verified
account, admitted) gets one payout of its whole balance, and one ledger journal
moves those balances to the payouts account. Whoever asks for a batch (the
task, the admin, the API, the shell), this service checks the two approvals
again and refuses, logged, without them.

Payouts move pending -> sent -> paid, or failed, which books the money back on
the project's balance; by hand on the staff page or from the bank's CAMT.053
statement, matched by end-to-end id. Recording twice changes nothing."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.enums import PAYOUT_TRANSITIONS, PayoutSource, PayoutStatus
from allocation.errors import DisbursementError
from allocation.models import PAYOUT_PREFIX, AllocationRun, Approval, Payout, PayoutBatch
from allocation.selectors import conservation_problem
from allocation.sepa import payout_batch_pain001
from allocation.services.approvals import (
    APPROVALS_NEEDED,
    approvals_refresh,
    approver_problem,
    is_approver,
    later_run_exists,
    refuse,
    valid_approvals,
)
from allocation.services.reports import Report, disbursement_report_compute
from funds import services as fund_services
from funds.enums import AccountKind, JournalSource
from funds.models import BankStatement, BankStatementLine
from funds.selectors import books_check
from funds.services.statements import bank_statement_process
from librery.mail import mail_enqueue
from librery.numbers import whole_number
from librery.pagecache import public_pages_changed
from librery.services import log_action
from librery.transitions import transition
from projects.models import Maintainership

logger = logging.getLogger(__name__)


def _approvals_problem(run: AllocationRun, report: Report) -> tuple[str, str] | None:
    """Why `report` does not have its two valid approvals now, or None."""
    if later_run_exists(run):
        return "later_run", _("A later month is allocated: its report holds these balances.")
    approvers = {
        approval.administrator_id
        for approval in valid_approvals(run=run, report=report)
        if approver_problem(run=run, user=approval.administrator, report=report) is None
    }
    if len(approvers) < APPROVALS_NEEDED:
        return "approvals_missing", _(
            "This report does not have two valid approvals by two different administrators "
            "for its current content: no payout batch is made."
        )
    return None


def pause_for_tests() -> None:
    """Tests of a worker killed in the middle of a batch make it wait here,
    inside its transaction (`LIBRERY_ALLOCATION_PAUSE_SECONDS`, never set in
    production): the payouts are written, nothing is committed."""
    seconds = getattr(settings, "LIBRERY_ALLOCATION_PAUSE_SECONDS", 0)
    if seconds:
        logger.warning("allocation.batch.paused", extra={"seconds": seconds})
        time.sleep(seconds)


def _book_batch(run: AllocationRun, payouts: list[Payout], at: datetime) -> None:
    """One journal: each project's balance to the payouts account."""
    if not payouts:
        return
    accounts = fund_services.ledger_project_accounts(project_ids={p.project_id for p in payouts})
    legs = [(accounts[p.project_id], p.amount_cents) for p in payouts]
    legs.append(
        (
            fund_services.ledger_account(kind=AccountKind.PAYOUTS),
            -sum(p.amount_cents for p in payouts),
        )
    )
    fund_services.journal_post(
        source=JournalSource.PAYOUT,
        external_id=f"batch-{run.period}",
        memo=f"Payout batch of {run.period}: {len(payouts)} payouts",
        legs=legs,
        booked_at=at,
    )


def _check_books() -> None:
    problems = [f"{p.invariant}: {p.detail}" for p in books_check()]
    conservation = conservation_problem()
    if conservation is not None:
        problems.append(f"conservation: {conservation}")
    if problems:
        raise DisbursementError(f"The books do not hold after the batch: {'; '.join(problems)}")


def payout_batch_create(
    *, run: AllocationRun, via: str, actor: Any = None, at: datetime | None = None
) -> PayoutBatch:
    """The batch of `run`'s approved report, made once (a second call returns
    it). Refused and logged unless the report, as it is now, has two valid
    approvals by two different administrators. `via` says who asks (task,
    admin, api, shell) for the audit trail."""
    existing = PayoutBatch.objects.filter(run=run).first()
    if existing is not None:
        return existing
    at = at or timezone.now()
    approvals_refresh(run=run, at=at)
    problem = None
    with transaction.atomic():
        locked = AllocationRun.objects.select_for_update().get(pk=run.pk)
        existing = PayoutBatch.objects.filter(run=locked).first()
        if existing is not None:  # pragma: postgresql only -- made while this one waited
            return existing  # pragma: postgresql only
        report = disbursement_report_compute(run=locked)
        problem = _approvals_problem(locked, report)
        if problem is None:
            batch = _make(locked, report, at, actor=actor, via=via)
    if problem is not None:
        refuse(
            run=run,
            actor=actor,
            action="allocation.batch.refused",
            reason=problem[0],
            message=problem[1],
            via=via,
        )
    return batch


def _make(run: AllocationRun, report: Report, at: datetime, *, actor: Any, via: str) -> PayoutBatch:
    lines = report.payouts
    batch = PayoutBatch.objects.create(
        run=run,
        content_sha256=report.sha256,
        report=report.content,
        total_cents=sum(line["proposed_payout_cents"] for line in lines),
        created_at=at,
    )
    payouts = Payout.objects.bulk_create(
        Payout(
            batch=batch,
            project_id=line["project_id"],
            amount_cents=line["proposed_payout_cents"],
            holder_name=line["account"]["holder_name"],
            iban=line["account"]["iban"],
            bic=line["account"]["bic"],
        )
        for line in lines
    )
    pause_for_tests()
    _book_batch(run, payouts, at)
    public_pages_changed()
    _check_books()
    Approval.objects.filter(run=run, voided_at__isnull=True).exclude(
        content_sha256=report.sha256
    ).update(voided_at=at, void_reason="superseded by the batch")
    log_action(
        action="allocation.batch.created",
        obj=batch,
        actor=actor,
        data={
            "run": run.period,
            "sha256": report.sha256,
            "payouts": len(payouts),
            "total_cents": batch.total_cents,
            "via": via,
        },
    )
    return batch


# --- Payouts ----------------------------------------------------------------------------


def _maintainers(payout: Payout) -> list[int]:
    return list(
        Maintainership.objects.filter(project_id=payout.project_id)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def _notify(payout: Payout) -> None:
    """Tell the project's maintainers, after the commit, where its payout is."""
    mail_enqueue(
        template=f"allocation/email/payout_{payout.status}",
        recipients=_maintainers(payout),
        context={
            "project": payout.project.name,
            "amount_cents": payout.amount_cents,
            "reference": payout.end_to_end_id,
            "masked_iban": payout.project.payout_account.masked_iban
            if hasattr(payout.project, "payout_account")
            else "",
            "reason": payout.failure_reason,
        },
        links={"url": ("projects:detail", [payout.project.slug])},
    )


def _book_return(payout: Payout) -> list[str]:
    """A failed payout's money goes back on the project's balance (once)."""
    fund_services.journal_post(
        source=JournalSource.PAYOUT,
        external_id=f"payout-{payout.pk}-returned",
        memo=f"{payout.end_to_end_id} returned by the bank",
        legs=[
            (fund_services.ledger_account(kind=AccountKind.PAYOUTS), payout.amount_cents),
            (
                fund_services.ledger_account(kind=AccountKind.PROJECT, project=payout.project),
                -payout.amount_cents,
            ),
        ],
    )
    return []


def payout_transition(
    *,
    payout: Payout,
    to_status: str,
    actor: Any = None,
    source: str = PayoutSource.MANUAL,
    reason: str = "",
    line: BankStatementLine | None = None,
    at: datetime | None = None,
) -> Payout:
    """Move `payout` to `to_status` (a no-op when it is there already). By hand
    only an administrator may; failed books the money back on the project's
    balance; the maintainers are told when it is sent, paid or failed."""
    if source == PayoutSource.MANUAL and not is_approver(actor):
        raise DisbursementError(_("Only an administrator records a payout's progress."))
    at = at or timezone.now()
    fields: dict[str, Any] = {f"{to_status}_at": at}
    if to_status == PayoutStatus.FAILED:
        fields["failure_reason"] = (reason or _("Returned by the bank."))[:300]
        if line is not None:
            fields["return_line"] = line
    elif to_status == PayoutStatus.PAID and line is not None:
        fields["debit_line"] = line
    with transaction.atomic():
        moved, changed = transition(
            instance=payout,
            to_status=to_status,
            transitions=PAYOUT_TRANSITIONS,
            action=f"allocation.payout.{to_status}",
            error_cls=DisbursementError,
            actor=actor,
            fields=fields,
            prepare=_book_return if to_status == PayoutStatus.FAILED else None,
            data=lambda row, previous: {
                "from": previous,
                "project": row.project_id,
                "amount_cents": row.amount_cents,
                "source": source,
                "line": line.pk if line is not None else None,
            },
        )
        if changed:
            public_pages_changed()
            _notify(moved)
    return moved


def payout_batch_mark_sent(*, batch: PayoutBatch, actor: Any) -> int:
    """Every pending payout of `batch` handed to the bank (its SEPA file uploaded)."""
    pending = list(batch.payouts.filter(status=PayoutStatus.PENDING).select_related("project"))
    for payout in pending:
        payout_transition(payout=payout, to_status=PayoutStatus.SENT, actor=actor)
    return len(pending)


# --- Bank statements -----------------------------------------------------------------------


@dataclass
class PayoutMatches:
    paid: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # statement lines left as they are


def _payout_of(line: BankStatementLine) -> Payout | None:
    number = whole_number(line.end_to_end_id.removeprefix(PAYOUT_PREFIX))
    payout = (
        Payout.objects.select_related("project").filter(pk=number).first()
        if number is not None
        else None
    )
    if payout is None or payout.amount_cents != line.amount_cents or line.currency != "EUR":
        logger.warning(
            "allocation.payout.unmatched_line",
            extra={"line": line.pk, "end_to_end_id": line.end_to_end_id},
        )
        return None
    return payout


def _settle(line: BankStatementLine, result: PayoutMatches) -> None:
    payout = _payout_of(line)
    if payout is None or payout.debit_line_id is not None or payout.status == PayoutStatus.FAILED:
        result.skipped.append(line.pk)
        return
    record = partial(payout_transition, source=PayoutSource.BANK_STATEMENT)
    if payout.status == PayoutStatus.PENDING:
        payout = record(payout=payout, to_status=PayoutStatus.SENT)
    if payout.status == PayoutStatus.PAID:  # marked by hand before the statement came
        Payout.objects.filter(pk=payout.pk, debit_line__isnull=True).update(debit_line=line)
    else:
        record(payout=payout, to_status=PayoutStatus.PAID, line=line)
    result.paid.append(payout.pk)


def _give_back(line: BankStatementLine, result: PayoutMatches) -> None:
    payout = _payout_of(line)
    if payout is None or payout.return_line_id is not None:
        result.skipped.append(line.pk)
        return
    if payout.status == PayoutStatus.FAILED:  # marked by hand before the statement came
        Payout.objects.filter(pk=payout.pk, return_line__isnull=True).update(return_line=line)
    else:
        payout_transition(
            payout=payout,
            to_status=PayoutStatus.FAILED,
            source=PayoutSource.BANK_STATEMENT,
            reason=_("Returned by the bank (statement %(statement)s).")
            % {"statement": line.statement.statement_id},
            line=line,
        )
    result.failed.append(payout.pk)


def payouts_match_statements(*, statement_id: int | None = None) -> PayoutMatches:
    """Match the statement lines that carry a payout's end-to-end id and are
    not matched yet: a debit marks it paid (sent first if need be), a return
    marks it failed. Lines already matched are skipped, so importing a
    statement again, or running this twice, books nothing."""
    lines = BankStatementLine.objects.filter(end_to_end_id__startswith=PAYOUT_PREFIX).order_by(
        "statement_id", "pk"
    )
    if statement_id is not None:
        lines = lines.filter(statement_id=statement_id)
    result = PayoutMatches()
    debits = lines.filter(is_credit=False, is_return=False, payout_debited__isnull=True)
    for line in debits.select_related("statement"):
        _settle(line, result)
    for line in lines.filter(
        is_credit=True, is_return=True, payout_returned__isnull=True
    ).select_related("statement"):
        _give_back(line, result)
    return result


def payouts_match_statement(*, statement_id: int | None = None) -> PayoutMatches:
    """The lines of an uploaded statement processed first (the funds' import,
    which resumes or does nothing once done), then its payouts matched; without
    a statement, every line not matched yet."""
    if statement_id is not None:
        statement = BankStatement.objects.filter(pk=statement_id).first()
        if statement is None:
            return PayoutMatches()
        bank_statement_process(statement=statement)
    return payouts_match_statements(statement_id=statement_id)


def payout_batches_resume(*, at: datetime | None = None) -> list[PayoutBatch]:
    """The batches of reports with two live approvals and no batch yet (a
    worker died making it); each checked again by `payout_batch_create`."""
    runs = (
        AllocationRun.objects.filter(batch__isnull=True)
        .annotate(
            live=Count("approvals", filter=Q(approvals__voided_at__isnull=True), distinct=True)
        )
        .filter(live__gte=APPROVALS_NEEDED)
        .order_by("period_start_at")
    )
    made = []
    for run in runs:
        try:
            made.append(payout_batch_create(run=run, via="resume", at=at))
        except DisbursementError:
            continue  # logged by the service; the approvals were voided or stay invalid
    return made


def _enqueue_matching(statement_id: int) -> None:
    # Tasks sit above services (they call them): imported here, when enqueuing.
    from allocation.tasks import match_payouts  # noqa: PLC0415 -- tasks import services

    match_payouts.apply_async(kwargs={"statement_id": statement_id})


def payouts_match_enqueue(*, statement_ids: list[int]) -> None:
    """After a statement upload commits: its lines processed and its payouts
    matched, in the ``allocation.match_payouts`` task (one per statement)."""
    for statement_id in statement_ids:
        transaction.on_commit(partial(_enqueue_matching, statement_id))


def payout_batch_export(
    *, batch: PayoutBatch, execution_date: date, actor: Any = None, via: str
) -> bytes:
    """The batch's SEPA file (`allocation.sepa`), its making entered in the
    audit trail with the file's sha256: which file went to the bank, when, made
    by whom (`via`: the staff page or the `payout_file` command)."""
    content = payout_batch_pain001(batch=batch, execution_date=execution_date)
    log_action(
        action="allocation.payout_batch.exported",
        obj=batch,
        actor=actor,
        data={
            "via": via,
            "execution_date": execution_date.isoformat(),
            "sha256": hashlib.sha256(content).hexdigest(),
        },
    )
    return content
