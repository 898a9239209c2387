"""The disbursement's less travelled paths: refusals once a batch exists or a
later month is allocated, a batch with nothing to pay, books that do not hold,
statements that cross what was recorded by hand, the periodic tasks, and how
the changes that void an approval read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from allocation import tasks
from allocation.enums import PayoutStatus
from allocation.errors import DisbursementError
from allocation.models import Approval, Payout, PayoutBatch
from allocation.report_pdf import disbursement_report_pdf
from allocation.services import (
    allocation_month_run,
    disbursement_report,
    ledger_problems,
    payout_batch_create,
    payout_batches_resume,
    payout_transition,
    payouts_match_statements,
)
from allocation.services.reports import Report, report_changes
from allocation.staff.views import _changes
from funds.enums import AccountKind, JournalSource, PaymentEventSource
from funds.models import BankStatementLine
from funds.services import bank_statement_import, journal_post, ledger_account, payment_succeed
from librery.models import LogEntry
from projects.enums import PayoutAccountStatus
from projects.services import payout_account_transition, project_suspend
from tests.allocation.camt_payouts import payout_statement
from tests.allocation.disbursement import Admin, Month, approve, make_admin
from tests.factories.contributors import PledgeFactory
from tests.factories.funds import PaymentFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _batch(month: Month, ada: Admin, bob: Admin) -> PayoutBatch:
    approve(ada, month.run)
    approve(bob, month.run)
    return payout_batch_create(run=month.run, via="test")


def test_the_models_name_themselves(month: Month, ada: Admin, bob: Admin) -> None:
    batch = _batch(month, ada, bob)
    approval = Approval.objects.filter(administrator=ada.user).get()
    payout = batch.payouts.get()
    assert str(approval) == f"approval #{approval.pk} of {month.run.pk} by {ada.user.pk} (live)"
    assert str(batch) == f"payout batch #{batch.pk} ({month.run.pk})"
    assert str(payout) == f"LIB-PAYOUT-{payout.pk} {month.paid.pk}: 12000 (pending)"
    assert batch.message_id == f"LIB-BATCH-{batch.pk}"


def test_approving_after_the_batch_is_refused(month: Month, ada: Admin, bob: Admin) -> None:
    _batch(month, ada, bob)
    third = make_admin("Cleo Admin", "cleo@example.org")
    with pytest.raises(DisbursementError, match="its payout batch exists"):
        approve(third, month.run)
    assert LogEntry.objects.get(action="allocation.approval.refused").data["reason"] == (
        "batch_exists"
    )


def test_a_later_month_takes_over_the_report(month: Month, ada: Admin, bob: Admin) -> None:
    approve(ada, month.run)
    pledge = PledgeFactory.create(amount_cents=1_000)
    payment_succeed(
        payment=PaymentFactory.create(pledge=pledge),
        gross_cents=1_000,
        processor_fee_cents=0,
        received_at=datetime(2026, 4, 3, tzinfo=UTC),
        source=PaymentEventSource.STRIPE_WEBHOOK,
    )
    allocation_month_run(period="2026-04", at=datetime(2026, 5, 2, tzinfo=UTC))
    with pytest.raises(DisbursementError, match="A later month is allocated"):
        approve(bob, month.run)
    with pytest.raises(DisbursementError, match="A later month is allocated"):
        payout_batch_create(run=month.run, via="shell")
    assert not PayoutBatch.objects.exists()


def test_a_batch_with_nothing_to_pay_books_nothing(month: Month, ada: Admin, bob: Admin) -> None:
    project_suspend(project=month.paid, actor=ada.user, reference="test")
    batch = _batch(month, ada, bob)
    assert (batch.total_cents, batch.payouts.count()) == (0, 0)
    assert not LogEntry.objects.filter(action="allocation.batch.refused").exists()


def test_books_that_do_not_hold_stop_the_batch(month: Month, ada: Admin, bob: Admin) -> None:
    # Money booked on a project's balance that no allocated receipt explains.
    journal_post(
        source=JournalSource.ALLOCATION,
        external_id="unexplained",
        memo="test",
        legs=[
            (ledger_account(kind=AccountKind.BANK), 100),
            (ledger_account(kind=AccountKind.PROJECT, project=month.paid), -100),
        ],
    )
    approve(ada, month.run)
    approve(bob, month.run)
    with pytest.raises(DisbursementError, match="The books do not hold after the batch"):
        payout_batch_create(run=month.run, via="shell")
    assert not PayoutBatch.objects.exists()


def test_statements_cross_what_was_recorded_by_hand(month: Month, ada: Admin, bob: Admin) -> None:
    batch = _batch(month, ada, bob)
    payout = batch.payouts.get()
    payout = payout_transition(payout=payout, to_status=PayoutStatus.SENT, actor=ada.user)
    payout = payout_transition(payout=payout, to_status=PayoutStatus.PAID, actor=ada.user)
    bank_statement_import(
        content=payout_statement([payout], statement_id="S1"), filename="s1", actor=ada.user
    )
    assert payouts_match_statements().paid == [payout.pk]  # the debit attached to it
    payout.refresh_from_db()
    assert payout.debit_line is not None
    payout = payout_transition(payout=payout, to_status=PayoutStatus.FAILED, actor=ada.user)
    bank_statement_import(
        content=payout_statement([payout], statement_id="S2", returned=[payout]),
        filename="s2",
        actor=ada.user,
    )
    result = payouts_match_statements()
    second_debit = BankStatementLine.objects.get(statement__statement_id="S2", is_credit=False)
    assert result.skipped == [second_debit.pk]  # already debited once
    assert result.failed == [payout.pk]  # the return attached to it, booked back once
    payout.refresh_from_db()
    assert payout.return_line is not None
    assert payout.status == PayoutStatus.FAILED


@pytest.mark.parametrize(
    "unknown", ["ABC", "²", "9" * 24], ids=["letters", "superscript", "beyond-bigint"]
)
def test_a_debit_for_a_failed_payout_or_an_unknown_id_is_skipped(
    month: Month, ada: Admin, bob: Admin, unknown: str
) -> None:
    batch = _batch(month, ada, bob)
    payout = batch.payouts.get()
    payout_transition(payout=payout, to_status=PayoutStatus.FAILED, actor=ada.user)
    stranger = Payout(pk=999_999, amount_cents=5, holder_name="x", iban="y")
    content = payout_statement([payout, stranger], statement_id="S3", returned=[stranger]).replace(
        b"LIB-PAYOUT-999999", f"LIB-PAYOUT-{unknown}".encode()
    )
    bank_statement_import(content=content, filename="s3", actor=ada.user)
    assert len(payouts_match_statements().skipped) == 3


def test_the_periodic_task_makes_a_batch_that_a_worker_did_not(
    month: Month, ada: Admin, bob: Admin
) -> None:
    approve(ada, month.run)
    approve(bob, month.run)
    assert tasks.resume_batches.apply().get() == [PayoutBatch.objects.get().pk]
    assert payout_batches_resume() == []  # nothing left to make


def test_the_periodic_task_leaves_invalid_approvals_alone(
    month: Month, ada: Admin, bob: Admin
) -> None:
    approve(ada, month.run)
    approve(bob, month.run)
    payout_account_transition(
        account=month.paid.payout_account, to_status=PayoutAccountStatus.UNVERIFIED, actor=ada.user
    )
    from projects.models import Maintainership  # noqa: PLC0415

    Maintainership.objects.create(project=month.small, user=bob.user)
    assert payout_batches_resume() == []
    assert not PayoutBatch.objects.exists()


def test_the_other_tasks(month: Month, ada: Admin, bob: Admin) -> None:
    assert tasks.create_payout_batch.apply(kwargs={"run_id": 0}).get() is None
    batch = _batch(month, ada, bob)
    payout = batch.payouts.get()
    imported = bank_statement_import(
        content=payout_statement([payout], statement_id="S4"),
        filename="s4",
        actor=ada.user,
        process=False,
    )
    result = tasks.match_payouts.apply(kwargs={"statement_id": imported.statements[0].pk}).get()
    assert result == {"paid": 1, "failed": 0, "skipped": 0}
    assert tasks.match_payouts.apply().get() == {"paid": 0, "failed": 0, "skipped": 0}


def test_the_pdf_lists_the_approvals_and_why_one_was_voided(
    month: Month, ada: Admin, bob: Admin
) -> None:
    approve(ada, month.run)
    project_suspend(project=month.paid, actor=bob.user, reference="test")
    approve(bob, month.run)
    report = disbursement_report(run=month.run)
    content = disbursement_report_pdf(
        report=report, approvals=list(Approval.objects.order_by("pk")), language="en"
    )
    assert content.startswith(b"%PDF")
    assert len(content) > 2_000


def test_ledger_problems_name_what_differs(month: Month) -> None:
    report = disbursement_report(run=month.run)
    assert ledger_problems(report) == []
    content: dict[str, Any] = {
        **report.content,
        "run_earmarked_cents": 1,
        "run_pool_shared_cents": 1,
        "ledger_project_balances_cents": 1,
    }
    wrong = Report(run=month.run, content=content, sha256="", frozen=False)
    assert ledger_problems(wrong) == ["earmarked", "pool", "balances"]


def test_the_changes_that_void_an_approval_read_well() -> None:
    line = {
        "project_id": 1,
        "name": "Alpha",
        "status": "admitted",
        "account": None,
        "proposed_payout_cents": 0,
        "administrator_maintainers": [],
    }
    before = {"lines": [line], "period": "2026-03"}
    after = {
        "lines": [
            {**line, "account": {"status": "unverified"}, "administrator_maintainers": [7]},
            {**line, "project_id": 2, "name": "Beta"},
        ],
        "period": "2026-03",
    }
    changes = report_changes(before, after)
    assert changes == [
        {"project": "Alpha", "field": "account", "before": "missing", "after": "unverified"},
        {"project": "Alpha", "field": "administrator_maintainers", "before": [], "after": [7]},
        {"project": "Beta", "field": "line", "before": False, "after": True},
    ]
    assert _changes(changes) == [
        "Alpha: payout account no account → Awaiting verification",
        "Alpha: administrators among its maintainers 0 → 1",
        "Beta: in the report no → yes",
    ]
    other = report_changes(before, {**before, "period": "2026-04"})
    assert other == [{"project": "", "field": "report", "before": "", "after": ""}]
    assert _changes(other) == ["—: report content  → "]


def test_an_approver_who_is_no_longer_an_administrator_does_not_count(
    month: Month, ada: Admin, bob: Admin
) -> None:
    approve(ada, month.run)
    approve(bob, month.run)
    bob.user.is_staff = False
    bob.user.save(update_fields=["is_staff"])
    with pytest.raises(DisbursementError, match="two valid approvals"):
        payout_batch_create(run=month.run, via="shell")


def test_a_running_month_has_no_report() -> None:
    from allocation.services import allocation_run_claim  # noqa: PLC0415

    run = allocation_run_claim(period="2026-03", at=datetime(2026, 4, 2, tzinfo=UTC))
    with pytest.raises(ValueError, match="Only a computed run"):
        disbursement_report(run=run)
