from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation
from stdnum import iso11649

from contributors.models import User
from funds.camt import parse_statement, structured_references
from funds.enums import AccountKind, PaymentRequestStatus, PaymentStatus, StatementLineStatus
from funds.models import BankStatement, BankStatementLine, Journal, PaymentRequest, Receipt
from funds.selectors import account_balance_cents, books_check
from funds.services import (
    StatementError,
    bank_statement_import,
    payment_request_issue,
    payment_request_mark_paid,
    payment_requests_issue_due,
    statement_line_decide,
    structured_reference,
)
from tests.factories.contributors import PledgeFactory
from tests.funds.statements import for_fund
from tests.funds.test_camt import _document
from tests.paths import DATA

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are checked in English; the French ones come from the catalogue."""
    with translation.override("en"):
        yield


SEPA = DATA / "sepa"
MONTH = SEPA / "camt053-real-anonymised-month__Subite-eu__camt-to-coda.xml"
SMALL = SEPA / "camt053-real-anonymised-small__Subite-eu__camt-to-coda.xml"
V04 = SEPA / "camt053.001.04-bank-sample__viafintech__camt_parser.xml"
AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def _request(amount: int = 5_000_000) -> PaymentRequest:
    pledge = PledgeFactory.create(amount_cents=amount, payment_method="bank_transfer")
    return payment_request_issue(pledge=pledge, at=AT)


def test_requests_are_numbered_per_year_without_gaps_with_valid_references() -> None:
    first, second = _request(), _request()
    later = payment_request_issue(
        pledge=PledgeFactory.create(payment_method="bank_transfer"),
        at=datetime(2027, 1, 2, tzinfo=UTC),
    )
    assert [first.number, second.number, later.number] == [
        "2026-000001",
        "2026-000002",
        "2027-000001",
    ]
    assert first.reference == structured_reference(year=2026, sequence=1)
    assert iso11649.is_valid(first.reference)
    assert first.payment.status == PaymentStatus.PENDING
    assert payment_request_issue(pledge=first.pledge).pk == first.pk


def test_card_pledge_gets_no_payment_request() -> None:
    with pytest.raises(ValueError, match="not paid by bank transfer"):
        payment_request_issue(pledge=PledgeFactory.create(payment_method="card"))


def test_real_statements_parse() -> None:
    (month,) = parse_statement(MONTH.read_bytes())
    assert (month.account_iban, len(month.entries)) == ("BE68793230773034", 268)
    assert sum(e.is_credit for e in month.entries) == 4
    assert len({e.entry_reference for e in month.entries}) == 268
    (v04,) = parse_statement(V04.read_bytes())
    assert (v04.account_iban, len(v04.entries), v04.entries[0].currency) == (
        "CH0309000000250090342",
        13,
        "CHF",
    )
    assert [e.amount_cents for e in v04.entries[:2]] == [2400, 32875]


def test_references_are_found_in_free_text() -> None:
    reference = structured_reference(year=2026, sequence=42)
    spaced = " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))
    assert structured_references(f"Facture {spaced} merci") == [reference]
    assert structured_references("RF00 nothing") == []


def _month_with(reference: str) -> bytes:
    text = MONTH.read_text(encoding="utf-8")
    assert "Transfer ref HBAVHC9717" in text
    return for_fund(
        text.replace("Transfer ref HBAVHC9717", f"Transfer ref {reference}", 1).encode()
    )


def test_real_statement_books_the_matching_line_once_even_uploaded_twice() -> None:
    request = _request(5_000_000)  # the statement's credits are 50 000,00 EUR
    content = _month_with(request.reference)
    result = bank_statement_import(content=content, filename="nov.xml", actor=None)
    assert result.created
    statuses = list(BankStatementLine.objects.values_list("status", flat=True))
    assert statuses.count(StatementLineStatus.BOOKED) == 1
    assert statuses.count(StatementLineStatus.UNMATCHED) == 3
    assert statuses.count(StatementLineStatus.DEBIT) == 264
    request.refresh_from_db()
    assert request.status == PaymentRequestStatus.PAID
    receipt = Receipt.objects.get()
    assert (receipt.gross_cents, receipt.processor_fee_cents) == (5_000_000, 0)
    assert account_balance_cents(kind=AccountKind.BANK) == 5_000_000

    again = bank_statement_import(content=content, filename="nov-again.xml", actor=None)
    assert not again.created
    assert BankStatement.objects.count() == 1
    assert BankStatementLine.objects.count() == 268
    assert Receipt.objects.count() == 1
    assert Journal.objects.count() == 1
    assert books_check() == []


def test_partial_payment_waits_for_a_decision_then_books_once(administrator_user: User) -> None:
    request = _request(6_000_000)
    bank_statement_import(content=_month_with(request.reference), filename="m.xml", actor=None)
    line = BankStatementLine.objects.get(payment_request=request)
    assert line.status == StatementLineStatus.PARTIAL
    assert Receipt.objects.count() == 0
    statement_line_decide(line=line, decision="book", actor=administrator_user)
    statement_line_decide(line=line, decision="book", actor=administrator_user)
    line.refresh_from_db()
    assert (line.status, line.decided_by) == (StatementLineStatus.BOOKED, administrator_user)
    assert Receipt.objects.get().gross_cents == 5_000_000
    with pytest.raises(StatementError, match="already decided"):
        statement_line_decide(line=line, decision="ignore", actor=administrator_user)


def test_over_payment_flagged_and_unmatched_line_assigned_by_hand(administrator_user: User) -> None:
    over = _request(4_000_000)
    bank_statement_import(content=_month_with(over.reference), filename="m.xml", actor=None)
    assert (
        BankStatementLine.objects.get(payment_request=over).status == StatementLineStatus.OVERPAID
    )
    other = _request(5_000_000)
    unmatched = BankStatementLine.objects.filter(status=StatementLineStatus.UNMATCHED).first()
    assert unmatched is not None
    with pytest.raises(StatementError, match="Choose the payment request"):
        statement_line_decide(line=unmatched, decision="book", actor=administrator_user)
    statement_line_decide(
        line=unmatched, decision="book", actor=administrator_user, payment_request=other
    )
    other.refresh_from_db()
    assert other.status == PaymentRequestStatus.PAID
    assert books_check() == []


def test_manual_reconciliation_records_its_author(administrator_user: User) -> None:
    request = _request(10_000)
    payment_request_mark_paid(
        request=request, amount_cents=10_000, received_at=AT, actor=administrator_user
    )
    event = request.payment.events.get(status=PaymentStatus.SUCCEEDED)
    assert (event.actor, event.source) == (administrator_user, "manual")
    with pytest.raises(StatementError, match="not awaiting payment"):
        payment_request_mark_paid(
            request=request, amount_cents=10_000, received_at=AT, actor=administrator_user
        )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not xml at all", "not well-formed"),
        (b"<Document xmlns='urn:other'/>", "not a CAMT.053"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
            "not well-formed",
        ),
        (
            SMALL.read_bytes().replace(
                b'<Amt Ccy="EUR">789903.41</Amt>', b'<Amt Ccy="EUR">12abc</Amt>', 1
            ),
            "not a positive amount in euros and cents",
        ),
        (
            SMALL.read_bytes().replace(b"<IBAN>BE86463768548050</IBAN>", b"", 1),
            "no identifier or no account IBAN",
        ),
    ],
    ids=["not-xml", "other-namespace", "dtd-entity", "letters-in-amount", "no-iban"],
)
def test_malformed_statements_are_refused_and_change_nothing(content: bytes, message: str) -> None:
    with pytest.raises(StatementError, match=message):
        bank_statement_import(content=content, filename="bad.xml", actor=None)
    assert BankStatement.objects.count() == 0


def test_monthly_bank_transfer_pledges_get_one_request_a_month() -> None:
    pledge = PledgeFactory.create(
        amount_cents=20_000, payment_method="bank_transfer", frequency="monthly"
    )
    first = payment_request_issue(pledge=pledge, at=AT)
    payment_request_mark_paid(request=first, amount_cents=20_000, received_at=AT, actor=None)
    pledge.refresh_from_db()
    assert pledge.status == "active"
    due = pledge.next_charge_date
    assert due is not None
    assert payment_requests_issue_due(today=due - timedelta(days=1)) == []
    (second,) = payment_requests_issue_due(today=due)
    assert payment_requests_issue_due(today=due) == []  # awaiting payment: not duplicated
    assert second.amount_cents == 20_000
    pledge.refresh_from_db()
    assert pledge.next_charge_date is not None
    assert pledge.next_charge_date > due
    payment_request_mark_paid(request=second, amount_cents=20_000, received_at=AT, actor=None)
    assert payment_requests_issue_due(today=due) == []  # the next month is not due yet
    assert PaymentRequest.objects.filter(pledge=pledge).count() == 2


def _entry(*, amount: str = "12.50", currency: str = "EUR", extra: str = "") -> str:
    return f'<Ntry><Amt Ccy="{currency}">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>{extra}</Ntry>'


def _statement(*entries: str) -> bytes:
    return for_fund(_document("".join(entries)))


def test_the_same_bank_reference_twice_keeps_both_lines() -> None:
    twice = _entry(extra="<AcctSvcrRef>BANK-1</AcctSvcrRef>")
    bank_statement_import(content=_statement(twice, twice), filename="t.xml", actor=None)
    assert sorted(BankStatementLine.objects.values_list("entry_reference", flat=True)) == [
        "BANK-1",
        "BANK-1#1",
    ]


def test_an_exact_transfer_without_booking_date_is_received_on_import() -> None:
    request = _request(1_250)
    before = datetime.now(tz=UTC)
    entry = _entry(extra=f"<AddtlNtryInf>Ref {request.reference}</AddtlNtryInf>")
    bank_statement_import(content=_statement(entry), filename="n.xml", actor=None)
    receipt = Receipt.objects.get()
    assert (receipt.gross_cents, before <= receipt.received_at <= datetime.now(tz=UTC)) == (
        1_250,
        True,
    )


def test_a_transfer_for_a_request_already_paid_is_an_over_payment(
    administrator_user: User,
) -> None:
    request = _request(1_250)
    payment_request_mark_paid(
        request=request, amount_cents=1_250, received_at=AT, actor=administrator_user
    )
    entry = _entry(extra=f"<AddtlNtryInf>Ref {request.reference}</AddtlNtryInf>")
    bank_statement_import(content=_statement(entry), filename="o.xml", actor=None)
    line = BankStatementLine.objects.get()
    assert (line.status, line.payment_request) == (StatementLineStatus.OVERPAID, request)
    assert Receipt.objects.count() == 1


def test_refused_decisions_and_amounts_say_why(administrator_user: User) -> None:
    request = _request(1_250)
    content = _statement(_entry(currency="USD", extra="<AcctSvcrRef>USD-1</AcctSvcrRef>"))
    bank_statement_import(content=content, filename="u.xml", actor=None)
    line = BankStatementLine.objects.get()
    with pytest.raises(StatementError) as unknown:
        statement_line_decide(line=line, decision="keep", actor=administrator_user)
    with pytest.raises(StatementError) as dollars:
        statement_line_decide(
            line=line, decision="book", actor=administrator_user, payment_request=request
        )
    with pytest.raises(StatementError) as nothing:
        payment_request_mark_paid(
            request=request, amount_cents=0, received_at=AT, actor=administrator_user
        )
    assert [str(unknown.value), str(dollars.value), str(nothing.value)] == [
        "Choose to book or to ignore the line.",
        "Only transfers in euros can be booked.",
        "Enter the amount received.",
    ]
    request.refresh_from_db()
    assert (request.status, Receipt.objects.count()) == (PaymentRequestStatus.AWAITING_PAYMENT, 0)
