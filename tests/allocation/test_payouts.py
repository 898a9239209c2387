"""Payout batches and payouts: one payout of the whole balance per eligible
project, the ledger moved to payouts, the SEPA file valid against the official
pain.001.001.03 schema, payouts recorded paid or failed by hand or from a CAMT.053
statement (idempotently), failed ones booked back, and the books holding."""

from __future__ import annotations

import hashlib
from datetime import date
from functools import cache
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from defusedxml import ElementTree
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from allocation import tasks
from allocation.enums import PayoutStatus
from allocation.errors import DisbursementError
from allocation.models import Payout, PayoutBatch
from allocation.sepa import payout_batch_pain001
from allocation.services import (
    disbursement_report,
    payout_batch_create,
    payout_batch_mark_sent,
    payout_transition,
    payouts_match_statement,
    payouts_match_statements,
)
from funds.enums import AccountKind, JournalSource, StatementLineStatus
from funds.models import BankStatementLine, Journal
from funds.selectors import account_balance_cents, books_check, project_balances_cents
from funds.services import bank_statement_import
from librery.models import LogEntry
from tests.allocation.camt_payouts import payout_statement
from tests.allocation.disbursement import Admin, Month, approve, make_admin
from tests.mail import mail_tasks
from tests.paths import DATA
from tests.tasks import queued_tasks

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


@cache
def _schema(name: str) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(DATA / "sepa" / name))


@pytest.fixture
def batch(month: Month, ada: Admin) -> PayoutBatch:
    bob = make_admin("Bob Admin", "bob@example.org")
    approve(ada, month.run)
    approve(bob, month.run)
    return payout_batch_create(run=month.run, via="test")


def _payout(batch: PayoutBatch) -> Payout:
    return Payout.objects.select_related("project").get(batch=batch)


def test_the_batch_pays_each_eligible_project_its_whole_balance(
    month: Month, batch: PayoutBatch
) -> None:
    payout = _payout(batch)
    assert (payout.project, payout.amount_cents, payout.status) == (
        month.paid,
        12_000,
        PayoutStatus.PENDING,
    )
    assert (payout.holder_name, payout.iban, payout.bic) == (
        "Alpha Paid association",
        "FR7630006000011234567890189",
        "AGRIFRPP",
    )
    assert payout.end_to_end_id == f"LIB-PAYOUT-{payout.pk}"
    balances = project_balances_cents()
    assert balances[month.paid.pk] == 0
    assert balances[month.small.pk] == 1_000  # below the threshold: kept
    assert balances[month.unverified.pk] == 8_000  # not verified: kept
    assert balances[month.missing.pk] == 6_000  # no account: kept
    assert account_balance_cents(kind=AccountKind.PAYOUTS) == -12_000
    journal = Journal.objects.get(source=JournalSource.PAYOUT)
    assert journal.external_id == "batch-2026-03"
    created = LogEntry.objects.get(action="allocation.batch.created")  # in the audit trail
    assert (created.data["sha256"], created.data["payouts"]) == (batch.content_sha256, 1)
    assert books_check() == []
    # The report is frozen as approved: the balances moved, its content did not.
    report = disbursement_report(run=month.run)
    assert report.frozen
    assert report.sha256 == batch.content_sha256
    # Asking again returns the same batch and books nothing more.
    assert payout_batch_create(run=month.run, via="shell") == batch
    assert Payout.objects.count() == 1
    assert Journal.objects.filter(source=JournalSource.PAYOUT).count() == 1


def test_paid_and_failed_by_hand_keep_the_books_and_tell_the_maintainers(
    month: Month, batch: PayoutBatch, ada: Admin, django_capture_on_commit_callbacks: Any
) -> None:
    from tests.factories import MaintainershipFactory  # noqa: PLC0415

    maintainer = MaintainershipFactory.create(project=month.paid).user
    payout = _payout(batch)
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        assert payout_batch_mark_sent(batch=batch, actor=ada.user) == 1
        paid = payout_transition(payout=payout, to_status=PayoutStatus.PAID, actor=ada.user)
        again = payout_transition(payout=paid, to_status=PayoutStatus.PAID, actor=ada.user)
    assert again.status == PayoutStatus.PAID
    assert [m.to for m in mail.outbox] == [[maintainer.email], [maintainer.email]]
    # In the maintainer's language (French by default).
    assert "est en route" in mail.outbox[0].subject
    assert "est payé" in mail.outbox[1].subject
    assert books_check() == []
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        failed = payout_transition(
            payout=paid, to_status=PayoutStatus.FAILED, actor=ada.user, reason="Closed account"
        )
    assert failed.failure_reason == "Closed account"
    assert "a échoué" in mail.outbox[2].subject
    assert "Closed account" in mail.outbox[2].body
    assert project_balances_cents()[month.paid.pk] == 12_000  # back on the balance
    assert account_balance_cents(kind=AccountKind.PAYOUTS) == 0
    assert books_check() == []
    out = StringIO()
    call_command("check_books", stdout=out)
    assert "every invariant holds" in out.getvalue()
    with pytest.raises(DisbursementError, match="cannot go from"):
        payout_transition(payout=failed, to_status=PayoutStatus.PAID, actor=ada.user)
    # Failed twice books back once.
    payout_transition(payout=failed, to_status=PayoutStatus.FAILED, actor=ada.user)
    assert Journal.objects.filter(source=JournalSource.PAYOUT).count() == 2
    # Each step once in the audit trail, with who recorded it.
    steps = LogEntry.objects.filter(action__startswith="allocation.payout.").order_by("pk")
    assert list(steps.values_list("action", "actor")) == [
        ("allocation.payout.sent", ada.user.pk),
        ("allocation.payout.paid", ada.user.pk),
        ("allocation.payout.failed", ada.user.pk),
    ]


def test_only_an_administrator_records_a_payout_by_hand(batch: PayoutBatch) -> None:
    from tests.factories import UserFactory  # noqa: PLC0415

    with pytest.raises(DisbursementError, match="Only an administrator"):
        payout_transition(
            payout=_payout(batch), to_status=PayoutStatus.SENT, actor=UserFactory.create()
        )


def test_the_sepa_file_validates_against_the_official_schema(batch: PayoutBatch) -> None:
    content = payout_batch_pain001(batch=batch, execution_date=date(2026, 4, 8))
    _schema("pain.001.001.03.xsd").validate(content.decode())
    root = ElementTree.fromstring(content)
    payout = _payout(batch)
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", namespaces=NS) == (
        f"LIB-BATCH-{batch.pk}"
    )
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "120.00"
    info = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert info is not None
    assert info.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "FR7699999000010000000012337"
    assert info.findtext("p:ReqdExctnDt", namespaces=NS) == "2026-04-08"
    transfer = info.find("p:CdtTrfTxInf", NS)
    assert transfer is not None
    assert transfer.findtext("p:PmtId/p:EndToEndId", namespaces=NS) == payout.end_to_end_id
    assert transfer.findtext("p:Amt/p:InstdAmt", namespaces=NS) == "120.00"
    assert transfer.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == payout.iban


def test_the_sepa_file_names_the_fund_from_its_settings(batch: PayoutBatch, settings: Any) -> None:
    settings.FUND_NAME = "Fonds Exemple"
    settings.FUND_IBAN = "DE89 3704 0044 0532 0130 00"
    settings.FUND_BIC = "COBADEFFXXX"
    content = payout_batch_pain001(batch=batch, execution_date=date(2026, 4, 8))
    _schema("pain.001.001.03.xsd").validate(content.decode())
    info = ElementTree.fromstring(content).find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert info is not None
    assert (
        info.findtext("p:Dbtr/p:Nm", namespaces=NS),
        info.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS),
        info.findtext("p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=NS),
    ) == ("Fonds Exemple", "DE89370400440532013000", "COBADEFFXXX")


def test_the_payout_file_command_writes_the_latest_batch(
    batch: PayoutBatch, tmp_path: Path
) -> None:
    target = tmp_path / "batch.xml"
    out = StringIO()
    call_command("payout_file", "latest", str(target), stdout=out)
    assert f"Batch #{batch.pk} (2026-03): 1 payout written to {target}." in out.getvalue()
    _schema("pain.001.001.03.xsd").validate(target.read_text())
    # The audit trail says which file went out: its sha256, the command, the date asked.
    exported = LogEntry.objects.get(action="allocation.payout_batch.exported")
    assert exported.object_id == str(batch.pk)
    assert exported.data["via"] == "payout_file"
    assert exported.data["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    call_command("payout_file", str(batch.pk), "-", stdout=(printed := StringIO()))
    assert "LIB-PAYOUT-" in printed.getvalue()
    for wrong, message in (
        ("nope", "batch id or 'latest'"),
        ("²", "batch id or 'latest'"),
        ("9" * 5000, "batch id or 'latest'"),
        ("999999", "No payout batch"),
    ):
        with pytest.raises(CommandError, match=message):
            call_command("payout_file", wrong, str(target))


def test_a_batch_without_a_payout_left_has_no_file(batch: PayoutBatch, ada: Admin) -> None:
    payout_transition(payout=_payout(batch), to_status=PayoutStatus.FAILED, actor=ada.user)
    with pytest.raises(DisbursementError, match="no payout left"):
        payout_batch_pain001(batch=batch, execution_date=date(2026, 4, 8))
    with pytest.raises(CommandError, match="no payout left"):
        call_command("payout_file", "latest", "-")


def test_a_statement_with_the_debits_marks_them_paid_and_again_books_nothing(
    month: Month, batch: PayoutBatch, ada: Admin
) -> None:
    payout = _payout(batch)
    content = payout_statement([payout], statement_id="STMT-2026-04-10")
    _schema("camt.053.001.02.xsd").validate(content.decode())
    imported = bank_statement_import(content=content, filename="april.xml", actor=ada.user)
    statement = imported.statements[0]
    line = BankStatementLine.objects.get(statement=statement)
    assert (line.end_to_end_id, line.is_credit, line.status) == (
        payout.end_to_end_id,
        False,
        StatementLineStatus.DEBIT,
    )
    result = payouts_match_statement(statement_id=statement.pk)
    assert result.paid == [payout.pk]
    payout.refresh_from_db()
    assert (payout.status, payout.debit_line) == (PayoutStatus.PAID, line)
    assert payout.sent_at is not None  # pending -> sent -> paid
    journals = Journal.objects.count()
    logs = LogEntry.objects.count()
    # The same statement again: recorded once, matched once.
    again = bank_statement_import(content=content, filename="april.xml", actor=ada.user)
    assert not again.created
    assert payouts_match_statement(statement_id=statement.pk).paid == []
    assert payouts_match_statements().paid == []
    assert (Journal.objects.count(), LogEntry.objects.count()) == (journals, logs)
    assert books_check() == []


def test_a_statement_returning_a_payout_marks_it_failed_and_books_it_back(
    month: Month, batch: PayoutBatch, ada: Admin
) -> None:
    payout = _payout(batch)
    paid = payout_statement([payout], statement_id="STMT-PAID")
    bank_statement_import(content=paid, filename="paid.xml", actor=ada.user)
    payouts_match_statements()
    returned = payout_statement([], returned=[payout], statement_id="STMT-RETURN")
    _schema("camt.053.001.02.xsd").validate(returned.decode())
    imported = bank_statement_import(content=returned, filename="return.xml", actor=ada.user)
    line = BankStatementLine.objects.get(statement=imported.statements[0])
    assert (line.is_credit, line.is_return, line.status) == (
        True,
        True,
        StatementLineStatus.RETURNED,  # never taken for a contribution
    )
    result = payouts_match_statement(statement_id=imported.statements[0].pk)
    assert result.failed == [payout.pk]
    payout.refresh_from_db()
    assert (payout.status, payout.return_line) == (PayoutStatus.FAILED, line)
    assert payout.failure_reason == "Returned by the bank (statement STMT-RETURN)."
    assert project_balances_cents()[month.paid.pk] == 12_000
    assert payouts_match_statements().failed == []
    assert books_check() == []


def test_lines_that_are_not_our_payouts_are_left_alone(batch: PayoutBatch, ada: Admin) -> None:
    payout = _payout(batch)
    payout.amount_cents += 1  # a statement amount that differs from the payout's
    wrong_amount = payout_statement([payout], statement_id="STMT-WRONG")
    bank_statement_import(content=wrong_amount, filename="w.xml", actor=ada.user)
    assert payouts_match_statements().skipped == [BankStatementLine.objects.get().pk]
    assert _payout(batch).status == PayoutStatus.PENDING
    assert payouts_match_statement(statement_id=999_999).paid == []


def test_statements_uploaded_on_the_reconciliation_page_mark_payouts_paid_then_failed(
    month: Month, batch: PayoutBatch, ada: Admin, django_capture_on_commit_callbacks: Any
) -> None:
    """The path administrators take: the upload enqueues the matching task
    (run here as a worker would); the same file again enqueues and books nothing."""
    payout = _payout(batch)
    client = ada.client()

    def upload(content: bytes, name: str) -> list[dict[str, Any]]:
        with (
            queued_tasks(tasks.match_payouts) as queued,
            django_capture_on_commit_callbacks(execute=True),
        ):
            file = SimpleUploadedFile(name, content, "application/xml")
            response = client.post("/en/funds/reconciliation/", {"file": file})
        assert response.status_code == 302
        return queued

    debits = payout_statement([payout], statement_id="STMT-UPLOADED")
    assert len(upload(debits, "april.xml")) == 1
    payout.refresh_from_db()
    assert (payout.status, payout.debit_line is not None) == (PayoutStatus.PAID, True)
    journals, logs = Journal.objects.count(), LogEntry.objects.count()
    assert upload(debits, "april.xml") == []
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert (Journal.objects.count(), LogEntry.objects.count()) == (journals, logs)
    returned = payout_statement([], returned=[payout], statement_id="STMT-RETURNED")
    assert len(upload(returned, "may.xml")) == 1
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED
    assert project_balances_cents()[month.paid.pk] == 12_000
    out = StringIO()
    call_command("check_books", stdout=out)
    assert "every invariant holds" in out.getvalue()
