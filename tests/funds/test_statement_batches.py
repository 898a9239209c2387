"""Issue 16: a statement's lines are matched and booked a batch at a time, in
set-based statements. A line booked with its batch leaves exactly what
booking it alone (`_line_book`, the manual decision's path) leaves; the
statements a batch runs do not grow with its lines; a batch already recorded
is never booked twice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from contributors.enums import PledgeFrequency, PledgeStatus
from contributors.models import Pledge, PledgeChange
from contributors.services import pledge_record_payment_success, pledges_record_payment_success
from funds.enums import AccountKind, JournalSource, PaymentStatus, StatementLineStatus
from funds.models import (
    BankStatement,
    BankStatementLine,
    Payment,
    PaymentRequest,
    Receipt,
    ReceiptEarmark,
)
from funds.selectors import books_check
from funds.services import bank_statement_import, ledger_account, payment_request_issue
from funds.services.bank_transfers import _line_book
from funds.services.bookings import payments_succeed_many
from funds.services.ledger import LedgerError, journals_post_new
from funds.services.payments import PaymentError
from funds.services.statements import bank_statement_process
from librery.models import LogEntry
from tests.factories.contributors import (
    EarmarkFactory,
    MembershipFactory,
    OrganisationFactory,
    PledgeFactory,
)
from tests.factories.core import ProjectFactory
from tests.funds.statements import for_fund
from tests.funds.test_camt import _document

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
BOOKED_ON = "2026-03-04"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _entry(request: PaymentRequest, bank_reference: str, cents: int | None = None) -> str:
    amount = request.amount_cents if cents is None else cents
    return (
        f'<Ntry><Amt Ccy="EUR">{amount // 100}.{amount % 100:02d}</Amt>'
        f"<CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>{BOOKED_ON}</Dt></BookgDt>"
        f"<AcctSvcrRef>{bank_reference}</AcctSvcrRef>"
        f"<AddtlNtryInf>Ref {request.reference}</AddtlNtryInf></Ntry>"
    )


def _statement(*entries: str, statement_id: str = "STMT-1") -> BankStatement:
    content = for_fund(_document("".join(entries), statement_id=statement_id))
    (statement,) = bank_statement_import(
        content=content, filename="s.xml", actor=None, process=False
    ).statements
    return statement


# --- The same rows as a line booked alone ------------------------------------------------


def _pledge(kind: str, projects: list[Any]) -> Pledge:
    """Pledges of each kind a payment changes differently, earmarked to `projects`."""
    if kind == "one-time":
        pledge = PledgeFactory.create(payment_method="bank_transfer", amount_cents=4_200)
    elif kind == "suspended-organisation":
        organisation = OrganisationFactory.create()
        MembershipFactory.create_batch(2, contributor=organisation)
        pledge = PledgeFactory.create(
            contributor=organisation,
            created_by=None,
            payment_method="bank_transfer",
            frequency=PledgeFrequency.MONTHLY,
            status=PledgeStatus.SUSPENDED,
            failed_attempts=2,
            amount_cents=7_500,
        )
    elif kind == "active-failed":
        pledge = PledgeFactory.create(
            payment_method="bank_transfer",
            frequency=PledgeFrequency.MONTHLY,
            status=PledgeStatus.ACTIVE,
            failed_attempts=1,
            next_charge_date=date(2026, 4, 1),
        )
    else:  # an active monthly pledge that a payment leaves as it is
        pledge = PledgeFactory.create(
            payment_method="bank_transfer",
            frequency=PledgeFrequency.MONTHLY,
            status=PledgeStatus.ACTIVE,
            next_charge_date=date(2026, 4, 1),
        )
    for project, share in zip(projects, (1_500, 500), strict=True):
        EarmarkFactory.create(pledge=pledge, project=project, share_bp=share)
    return pledge


KINDS = ["one-time", "suspended-organisation", "active-failed", "active-clean"]


def _logs(obj: Any, payment: Payment, since: int) -> list[tuple[str, str]]:
    """The audit entries of `obj` after entry `since`, the payment's id written as P."""
    return [
        (entry.action, re.sub(rf"\b{payment.pk}\b", "P", str(entry.data)))
        for entry in LogEntry.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk), pk__gt=since
        ).order_by("pk")
    ]


def _last_log() -> int:
    return LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _signature(request: PaymentRequest, since: int) -> dict[str, Any]:
    """What booking `request`'s line left (audit entries after `since`),
    without ids or creation times."""
    request.refresh_from_db()
    payment = Payment.objects.get(pk=request.payment_id)
    receipt = Receipt.objects.get(payment=payment)
    journal = receipt.journal
    pledge = Pledge.objects.get(pk=request.pledge_id)
    line = BankStatementLine.objects.get(payment_request=request)
    return {
        "request": (request.status, request.received_cents, _logs(request, payment, since)),
        "payment": (payment.status, payment.amount_cents, _logs(payment, payment, since)),
        "events": list(
            payment.events.filter(status=PaymentStatus.SUCCEEDED).values_list(
                "source", "actor", "at", "data"
            )
        ),
        "receipt": (
            receipt.gross_cents,
            receipt.processor_fee_cents,
            receipt.net_cents,
            receipt.currency,
            receipt.received_at,
            receipt.earmarks,
            receipt.contributor_id == pledge.contributor_id,
            list(ReceiptEarmark.objects.filter(receipt=receipt).values_list("project", "share_bp")),
            _logs(receipt, payment, since),
        ),
        "journal": (
            journal.source,
            journal.external_id == f"payment-{payment.pk}",
            journal.memo == f"Receipt of payment #{payment.pk}",
            journal.booked_at,
            sorted(journal.legs.values_list("account__kind", "amount_cents")),
        ),
        "pledge": (
            pledge.status,
            pledge.failed_attempts,
            pledge.next_charge_date,
            list(PledgeChange.objects.filter(pledge=pledge).values_list("kind", "actor", "data")),
            _logs(pledge, payment, since),
        ),
        "line": (line.status, line.booked_payment_id == payment.pk, _logs(line, payment, since)),
    }


class Mails:
    """The mails enqueued, as (template, recipients, context, links)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Any], dict[str, Any], Any]] = []

    def __call__(self, **kwargs: Any) -> int:
        recipients = sorted(kwargs["recipients"])
        self.sent.append((kwargs["template"], recipients, kwargs["context"], kwargs["links"]))
        return len(recipients)


@pytest.mark.parametrize("kind", KINDS)
def test_a_line_booked_with_its_batch_leaves_what_booking_it_alone_leaves(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch_mails, alone_mails = Mails(), Mails()
    # Both bookings mail through `payments.payment_email_to`: a recorder for each phase.
    monkeypatch.setattr("funds.services.payments.mail_enqueue", batch_mails)
    projects = ProjectFactory.create_batch(2, status="admitted")
    in_batch = payment_request_issue(pledge=_pledge(kind, projects), at=AT)
    alone = payment_request_issue(pledge=_pledge(kind, projects), at=AT)

    statement, since_batch = _statement(_entry(in_batch, "B1")), _last_log()
    done = bank_statement_process(statement=statement)
    assert (done.status, done.lines_done) == ("done", 1)
    line = BankStatementLine.objects.create(
        statement=BankStatement.objects.create(
            account_iban=settings.FUND_IBAN, statement_id="ALONE", sha256="0" * 64, uploaded_at=AT
        ),
        entry_reference="B1",
        amount_cents=alone.amount_cents,
        currency="EUR",
        is_credit=True,
        booking_date=date.fromisoformat(BOOKED_ON),
        payment_request=alone,
        reference_found=alone.reference,
        status=StatementLineStatus.MATCHED,
    )
    since_alone = _last_log()
    monkeypatch.setattr("funds.services.payments.mail_enqueue", alone_mails)
    _line_book(line=line, actor=None)

    batch, single = _signature(in_batch, since_batch), _signature(alone, since_alone)
    pledge_part = 3  # the pledge's audit entries name the pledge, not the payment
    assert batch == single
    assert batch["line"][0] == StatementLineStatus.BOOKED
    assert batch["request"][:2] == ("paid", in_batch.amount_cents)
    assert len(batch["pledge"][pledge_part]) == (0 if kind.startswith("active") else 1)
    assert len(batch_mails.sent) == len(alone_mails.sent) == 1
    assert batch_mails.sent[0][0] == "funds/email/payment_succeeded"
    members = 3 if kind == "suspended-organisation" else 1  # two members; else the person
    assert len(batch_mails.sent[0][1]) == members
    (_t, _r, batch_context, batch_links), (_t2, _r2, alone_context, alone_links) = (
        batch_mails.sent[0],
        alone_mails.sent[0],
    )
    assert batch_context.pop("name") == in_batch.pledge.contributor.name
    assert alone_context.pop("name") == alone.pledge.contributor.name
    assert (batch_context, batch_links) == (alone_context, alone_links)
    assert books_check() == []


def test_many_pledges_change_as_each_would_alone() -> None:
    projects = ProjectFactory.create_batch(2, status="admitted")
    pairs = [(_pledge(kind, projects), _pledge(kind, projects)) for kind in KINDS]
    completed = PledgeFactory.create(status=PledgeStatus.COMPLETED)
    pledges_record_payment_success(pledge_ids=[p.pk for p, _q in pairs] + [completed.pk])
    for _pledge_in_batch, pledge_alone in pairs:
        pledge_record_payment_success(pledge=pledge_alone)
    pledges_record_payment_success(pledge_ids=[completed.pk])  # nothing to do, twice
    for in_batch, alone in pairs:
        in_batch.refresh_from_db()
        alone.refresh_from_db()
        assert (in_batch.status, in_batch.failed_attempts, in_batch.next_charge_date) == (
            alone.status,
            alone.failed_attempts,
            alone.next_charge_date,
        )
        assert list(in_batch.changes.values_list("kind", "data")) == list(
            alone.changes.values_list("kind", "data")
        )
    completed.refresh_from_db()
    assert (completed.status, completed.changes.count()) == (PledgeStatus.COMPLETED, 0)


# --- Set-based: the statements of a batch do not grow with its lines -----------------------


def _queries(count: int, statement_id: str) -> int:
    requests = [
        payment_request_issue(
            pledge=PledgeFactory.create(payment_method="bank_transfer", amount_cents=1_000 + i),
            at=AT,
        )
        for i in range(count)
    ]
    debit = _entry(requests[0], f"{statement_id}-D").replace("CRDT", "DBIT")
    statement = _statement(
        *(_entry(r, f"{statement_id}-{i}") for i, r in enumerate(requests)),
        debit,
        statement_id=statement_id,
    )
    with CaptureQueriesContext(connection) as queries:
        done = bank_statement_process(statement=statement)
    assert (done.status, done.lines_done) == ("done", count + 1)
    assert PaymentRequest.objects.filter(
        pk__in=[r.pk for r in requests], status="paid"
    ).count() == (count)
    return len(queries)


def test_a_batch_runs_as_many_statements_for_three_lines_as_for_twelve() -> None:
    _queries(1, "FIRST")  # the ledger's accounts are created the first time
    few = _queries(3, "FEW")
    many = _queries(12, "MANY")
    assert few == many
    assert many < 40
    assert Receipt.objects.count() == 16
    assert books_check() == []


# --- Resumed, never booked twice --------------------------------------------------------------


def test_a_batch_recorded_before_is_skipped_line_by_line() -> None:
    """A worker that recorded lines and died before counting them (its counter
    written in the same transaction makes this a guard, not a path): the lines
    already recorded are left as they are, the others booked once."""
    requests = [
        payment_request_issue(pledge=PledgeFactory.create(payment_method="bank_transfer"), at=AT)
        for _ in range(3)
    ]
    statement = _statement(*(_entry(r, f"B{i}") for i, r in enumerate(requests)))
    first = bank_statement_process(statement=statement, batch_size=2, batches=1)
    assert (first.status, first.lines_done) == ("processing", 2)
    BankStatement.objects.filter(pk=statement.pk).update(lines_done=0)
    done = bank_statement_process(statement=statement, batch_size=2)
    assert (done.status, done.lines_done) == ("done", 3)
    assert BankStatementLine.objects.filter(status="booked").count() == 3
    assert Receipt.objects.count() == 3
    assert books_check() == []


def test_a_line_for_an_amount_other_than_its_pending_payment_s_is_booked_alone() -> None:
    """A request whose own payment is no longer for what it awaits (set by an
    earlier partial booking's rule) goes through the one-line path."""
    request = payment_request_issue(
        pledge=PledgeFactory.create(payment_method="bank_transfer", amount_cents=3_000), at=AT
    )
    Payment.objects.filter(pk=request.payment_id).update(amount_cents=2_000)
    bank_statement_process(statement=_statement(_entry(request, "B1")))
    request.refresh_from_db()
    payment = Payment.objects.get(pk=request.payment_id)
    assert (request.status, request.received_cents) == ("paid", 3_000)
    assert (payment.status, payment.amount_cents) == (PaymentStatus.SUCCEEDED, 3_000)
    assert books_check() == []


# --- Refusals of the batch services -----------------------------------------------------------


def test_only_pending_bank_transfers_succeed_many_at_once() -> None:
    card = Payment.objects.create(
        pledge=PledgeFactory.create(),
        method="card",
        status=PaymentStatus.PENDING,
        amount_cents=500,
        idempotency_key="card-1",
    )
    with pytest.raises(PaymentError, match=rf"^Payment #{card.pk} is not a pending bank transfer"):
        payments_succeed_many(succeeded=[(card, AT)], source="bank_statement")
    assert payments_succeed_many(succeeded=[], source="bank_statement") == []


@pytest.mark.parametrize(
    ("legs", "message"),
    [
        ([(AccountKind.BANK, 100), (AccountKind.UNALLOCATED, -99)], "non-zero legs that sum"),
        ([(AccountKind.BANK, 100)], "non-zero legs that sum"),
        ([(AccountKind.BANK, 1.5), (AccountKind.UNALLOCATED, -1.5)], "whole cents"),
        ([(AccountKind.PROJECT, 100), (AccountKind.UNALLOCATED, -100)], "journal_post"),
    ],
    ids=["unbalanced", "one-leg", "fraction", "project"],
)
def test_journals_booked_at_once_are_refused_as_journal_post_refuses_them(
    legs: list[tuple[AccountKind, Any]], message: str
) -> None:
    def account(kind: AccountKind) -> Any:
        if kind == AccountKind.PROJECT:
            return ledger_account(kind=kind, project=ProjectFactory.create())
        return ledger_account(kind=kind)

    with pytest.raises(LedgerError, match=message):
        journals_post_new(
            source=JournalSource.RECEIPT,
            journals=[("x-1", "memo", AT, [(account(kind), cents) for kind, cents in legs])],
        )
