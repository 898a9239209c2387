"""Issue 9, bank transfers: statements of another account, out-of-range input,
over-booking caught by the books check, manual bookings of another amount,
cancelled pledges, and statements processed in a task with their progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from contributors.enums import PledgeStatus
from contributors.models import User
from funds.camt import StatementFormatError, parse_statement
from funds.enums import (
    BankStatementStatus,
    PaymentRequestStatus,
    PaymentStatus,
    StatementLineStatus,
)
from funds.models import BankStatement, BankStatementLine, Payment, PaymentRequest, Receipt
from funds.selectors import books_check
from funds.services import (
    StatementError,
    bank_statement_import,
    payment_request_issue,
    payment_request_mark_paid,
    statement_line_decide,
)
from funds.services.bank_transfers import _line_book
from funds.services.pledges import pledge_cancel
from funds.services.statements import bank_statement_process
from funds.tasks import import_statement
from librery.models import LogEntry
from tests.factories.contributors import PledgeFactory
from tests.funds.statements import for_fund, statement_tasks
from tests.funds.test_camt import _document
from tests.paths import DATA

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SMALL = DATA / "sepa" / "camt053-real-anonymised-small__Subite-eu__camt-to-coda.xml"
AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
URL = "/en/funds/reconciliation/"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _request(amount: int) -> PaymentRequest:
    pledge = PledgeFactory.create(amount_cents=amount, payment_method="bank_transfer")
    return payment_request_issue(pledge=pledge, at=AT)


def _small_paying(request: PaymentRequest) -> bytes:
    return SMALL.read_bytes().replace(
        b"<Ustrd>NOTPROVIDED</Ustrd>", f"<Ustrd>Facture {request.reference}</Ustrd>".encode()
    )


def _entry(amount: str, reference: str = "", bank_reference: str = "BANK-1") -> str:
    info = f"<AddtlNtryInf>Ref {reference}</AddtlNtryInf>" if reference else ""
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
        f"<AcctSvcrRef>{bank_reference}</AcctSvcrRef>{info}</Ntry>"
    )


def _fund_statement(*entries: str, statement_id: str = "STMT-1") -> bytes:
    return for_fund(_document("".join(entries), statement_id=statement_id))


def _nothing_stored() -> tuple[int, int, int]:
    return (
        BankStatement.objects.count(),
        BankStatementLine.objects.count(),
        Receipt.objects.count(),
    )


# --- 1. A statement for another account -------------------------------------------


def test_a_statement_of_another_account_is_refused_naming_its_iban() -> None:
    request = _request(78_990_440)  # the small statement's credit
    content = _small_paying(request)
    (parsed,) = parse_statement(content)
    assert parsed.account_iban != settings.FUND_IBAN
    with pytest.raises(StatementError) as refused:
        bank_statement_import(content=content, filename="s.xml", actor=None)
    assert str(refused.value) == (
        f"This statement is for the account {_spaced(parsed.account_iban)}, not the fund's "
        f"account {_spaced(settings.FUND_IBAN)}: nothing was recorded."
    )
    assert _nothing_stored() == (0, 0, 0)
    request.refresh_from_db()
    assert request.status == PaymentRequestStatus.AWAITING_PAYMENT

    bank_statement_import(content=for_fund(content), filename="s.xml", actor=None)
    request.refresh_from_db()
    assert (request.status, Receipt.objects.get().gross_cents) == (
        PaymentRequestStatus.PAID,
        78_990_440,
    )


def _spaced(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def test_the_upload_page_refuses_another_account_with_a_400(administrator: Client) -> None:
    response = administrator.post(
        URL, {"file": SimpleUploadedFile("s.xml", SMALL.read_bytes(), "application/xml")}
    )
    assert response.status_code == 400
    assert "not the fund&#x27;s account" in response.content.decode()
    assert _nothing_stored() == (0, 0, 0)


# --- 5. Out-of-range input --------------------------------------------------------


@pytest.mark.parametrize(
    "amount",
    [
        "NaN",
        "Infinity",
        "-Infinity",
        "sNaN",
        "1E+30",
        "1e2",
        "12345678901234567890",
        "-0",
        "-0.00",
        "0",
        "0.00",
        "-12.50",
        "12.505",
        " ",
        "1_000",
    ],
)
def test_out_of_range_amounts_are_refused(amount: str) -> None:
    content = _fund_statement(_entry(amount))
    with pytest.raises(StatementFormatError) as refused:
        parse_statement(content)
    assert str(refused.value) == (
        "An amount in the statement is not a positive amount in euros and cents: "
        f"“{amount.strip()}”."
    )
    with pytest.raises(StatementError):
        bank_statement_import(content=content, filename="s.xml", actor=None)
    assert _nothing_stored() == (0, 0, 0)


def test_an_amount_beyond_the_largest_is_refused() -> None:
    with pytest.raises(StatementFormatError) as refused:
        parse_statement(_fund_statement(_entry("100000000000.00")))
    assert str(refused.value) == "An amount in the statement is larger than €10,000,000,000.00."
    (statement,) = parse_statement(_fund_statement(_entry("10000000000.00")))
    assert statement.entries[0].amount_cents == 1_000_000_000_000


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (_document(statement_id="S" * 500), "statement id"),
        (_document(_entry("1.00", bank_reference="R" * 500)), "bank entry reference"),
        (
            _document().replace(b"FR7630006000011234567890189", b"FR76" + b"1" * 296),
            "account IBAN",
        ),
        (
            _document(
                '<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><NtryDtls><TxDtls>'
                f"<RltdPties><Dbtr><Nm>{'N' * 141}</Nm></Dbtr></RltdPties>"
                "</TxDtls></NtryDtls></Ntry>"
            ),
            "debtor",
        ),
        (
            _document('<Ntry><Amt Ccy="EURO">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>'),
            "currency",
        ),
        (
            _document().replace(b"<MsgId>MSG-1</MsgId>", b"<MsgId>" + b"M" * 141 + b"</MsgId>"),
            "message id",
        ),
    ],
    ids=["statement-id", "entry-reference", "iban", "debtor", "currency", "message-id"],
)
def test_too_long_fields_are_refused_naming_the_field(content: bytes, field: str) -> None:
    with pytest.raises(StatementFormatError) as refused:
        parse_statement(content)
    assert str(refused.value).startswith(f"The statement's {field} is too long")
    assert _nothing_stored() == (0, 0, 0)


def test_a_currency_that_is_not_a_code_is_refused() -> None:
    with pytest.raises(StatementFormatError) as refused:
        parse_statement(
            _document('<Ntry><Amt Ccy="eu">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>')
        )
    assert str(refused.value) == "A currency of the statement is not a three-letter code."


def test_the_upload_page_answers_400_to_a_huge_amount(administrator: Client) -> None:
    content = _fund_statement(_entry("1E+30"))
    response = administrator.post(
        URL, {"file": SimpleUploadedFile("s.xml", content, "application/xml")}
    )
    assert response.status_code == 400
    assert "not a positive amount in euros and cents" in response.content.decode()
    assert _nothing_stored() == (0, 0, 0)


# --- 2. Over-booking caught by the books check -------------------------------------


def test_books_check_names_a_request_booked_beyond_its_amount() -> None:
    request = _request(3_000)
    statement = BankStatement.objects.create(
        account_iban=settings.FUND_IBAN, statement_id="S", sha256="0" * 64, uploaded_at=AT
    )
    lines = [
        BankStatementLine.objects.create(
            statement=statement,
            entry_reference=f"R{index}",
            amount_cents=3_000,
            currency="EUR",
            is_credit=True,
            payment_request=request,
            status=StatementLineStatus.MATCHED,
        )
        for index in range(2)
    ]
    for line in lines:  # as two uploads did without the lock on the request
        _line_book(line=line, actor=None)
    problems = books_check()
    assert [problem.invariant for problem in problems] == ["payment_requests_not_overbooked"]
    assert problems[0].detail == (
        f"payment requests #{request.pk} have booked receipts beyond their amount "
        "and no administrator accepted it"
    )
    with pytest.raises(CommandError) as failed:
        call_command("check_books", stderr=StringIO())
    assert str(failed.value) == "books check failed: payment_requests_not_overbooked"


def test_an_over_payment_booked_by_an_administrator_keeps_the_books_right(
    administrator_user: User,
) -> None:
    request = _request(3_000)
    bank_statement_import(
        content=_fund_statement(_entry("30.00", request.reference)), filename="a", actor=None
    )
    bank_statement_import(
        content=_fund_statement(_entry("30.00", request.reference), statement_id="STMT-2"),
        filename="b",
        actor=None,
    )
    over = BankStatementLine.objects.get(statement__statement_id="STMT-2")
    assert over.status == StatementLineStatus.OVERPAID
    statement_line_decide(line=over, decision="book", actor=administrator_user)
    request.refresh_from_db()
    assert (request.difference_accepted_by, Receipt.objects.count()) == (administrator_user, 2)
    assert books_check() == []


# --- 3. Manual booking of another amount --------------------------------------------


def test_a_manual_booking_of_another_amount_needs_a_choice(administrator_user: User) -> None:
    request = _request(500_000)
    with pytest.raises(StatementError) as refused:
        payment_request_mark_paid(
            request=request, amount_cents=499_900, received_at=AT, actor=administrator_user
        )
    assert str(refused.value) == (
        "€4,999.00 is not the €5,000.00 due: book it as a partial payment, "
        "or accept it as full payment and give the reason."
    )
    assert (Receipt.objects.count(), Payment.objects.get().status) == (0, PaymentStatus.PENDING)
    with pytest.raises(StatementError) as reasonless:
        payment_request_mark_paid(
            request=request,
            amount_cents=499_900,
            received_at=AT,
            actor=administrator_user,
            choice="accept",
        )
    assert str(reasonless.value) == "Give the reason for accepting this amount as full payment."
    with pytest.raises(StatementError) as above:
        payment_request_mark_paid(
            request=request,
            amount_cents=500_100,
            received_at=AT,
            actor=administrator_user,
            choice="partial",
        )
    assert str(above.value) == (
        "A partial payment is less than the €5,000.00 due; accept a larger amount as full "
        "payment and give the reason."
    )
    assert Receipt.objects.count() == 0


def test_a_partial_manual_booking_leaves_the_rest_due(administrator_user: User) -> None:
    request = _request(500_000)
    payment_request_mark_paid(
        request=request,
        amount_cents=499_900,
        received_at=AT,
        actor=administrator_user,
        choice="partial",
    )
    request.refresh_from_db()
    payment = Payment.objects.get(pk=request.payment_id)
    assert (payment.status, payment.amount_cents) == (PaymentStatus.SUCCEEDED, 499_900)
    assert Receipt.objects.get().gross_cents == 499_900
    assert (request.status, request.received_cents, request.remaining_cents) == (
        PaymentRequestStatus.AWAITING_PAYMENT,
        499_900,
        100,
    )
    request.pledge.refresh_from_db()
    assert request.pledge.status == PledgeStatus.AWAITING_PAYMENT  # not finished
    # The rest arrives by transfer: an exact match for what is still due.
    bank_statement_import(
        content=_fund_statement(_entry("1.00", request.reference)), filename="r", actor=None
    )
    request.refresh_from_db()
    assert (request.status, request.received_cents) == (PaymentRequestStatus.PAID, 500_000)
    assert sorted(Receipt.objects.values_list("gross_cents", flat=True)) == [100, 499_900]
    request.pledge.refresh_from_db()
    assert request.pledge.status == PledgeStatus.COMPLETED
    assert books_check() == []


def test_accepting_another_amount_as_full_records_the_reason(administrator_user: User) -> None:
    request = _request(500_000)
    payment_request_mark_paid(
        request=request,
        amount_cents=500_100,
        received_at=AT,
        actor=administrator_user,
        choice="accept",
        reason="Bank fee added by the payer",
    )
    request.refresh_from_db()
    assert (request.status, request.received_cents, request.difference_reason) == (
        PaymentRequestStatus.PAID,
        500_100,
        "Bank fee added by the payer",
    )
    assert request.difference_accepted_by == administrator_user
    assert Payment.objects.get().amount_cents == 500_100
    entry = LogEntry.objects.get(action="funds.payment_request.paid_manually")
    assert entry.data == {
        "amount_cents": 500_100,
        "choice": "accept",
        "reason": "Bank fee added by the payer",
    }
    assert books_check() == []


def test_the_staff_page_offers_the_choice_and_shows_what_remains(
    administrator: Client,
) -> None:
    request = _request(500_000)
    page = administrator.get(URL).content.decode()
    assert 'name="choice" value="partial"' in page
    assert 'name="reason"' in page
    refused = administrator.post(
        f"{URL}requests/{request.pk}/paid/",
        {"amount": "4999", "received_on": "2026-03-01"},
        follow=True,
    )
    assert [str(m) for m in refused.context["messages"]] == [
        "€4,999.00 is not the €5,000.00 due: book it as a partial payment, "
        "or accept it as full payment and give the reason."
    ]
    partial = administrator.post(
        f"{URL}requests/{request.pk}/paid/",
        {"amount": "4999", "received_on": "2026-03-01", "choice": "partial"},
        follow=True,
    )
    assert [str(m) for m in partial.context["messages"]] == [
        "The partial payment is booked; €1.00 is still due."
    ]
    assert "€1.00" in administrator.get(URL).content.decode()


# --- 4. Cancelled pledges ---------------------------------------------------------


def test_cancelling_a_pledge_cancels_its_open_request(
    contributor: Client, contributor_user: User
) -> None:
    pledge = PledgeFactory.create(
        contributor=contributor_user.contributors.get(),
        amount_cents=3_000,
        payment_method="bank_transfer",
    )
    request = payment_request_issue(pledge=pledge, at=AT)
    base = f"/en/contribute/pledges/{pledge.pk}/"
    before = contributor.get(base).content.decode()
    assert settings.FUND_IBAN in before
    # Cancelling asks first (200, nothing changes), then the confirmation cancels.
    assert contributor.post(base + "cancel/").status_code == 200
    assert contributor.post(base + "cancel/", {"confirm": "yes"}).status_code == 302
    pledge.refresh_from_db()
    request.refresh_from_db()
    assert (pledge.status, request.status) == (
        PledgeStatus.CANCELLED,
        PaymentRequestStatus.CANCELLED,
    )
    assert Payment.objects.get(pk=request.payment_id).status == PaymentStatus.FAILED
    page = contributor.get(base).content.decode()
    assert settings.FUND_IBAN not in page
    assert request.reference not in page
    assert f"{request.number} · Cancelled" in page


def test_a_transfer_for_a_cancelled_request_waits_for_a_decision(
    administrator_user: User,
) -> None:
    request = _request(3_000)
    pledge_cancel(pledge=request.pledge, actor=administrator_user)
    bank_statement_import(
        content=_fund_statement(_entry("30.00", request.reference)), filename="c", actor=None
    )
    line = BankStatementLine.objects.get()
    assert (line.status, line.payment_request, Receipt.objects.count()) == (
        StatementLineStatus.REQUEST_CANCELLED,
        request,
        0,
    )
    assert line.get_status_display() == "For a cancelled payment request: needs a decision"
    statement_line_decide(line=line, decision="book", actor=administrator_user)
    assert Receipt.objects.get().gross_cents == 3_000
    assert books_check() == []


# --- 6. Statements processed in a task --------------------------------------------


def test_the_upload_stores_the_statement_and_the_task_books_it(
    administrator: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    request = _request(78_990_440)
    content = for_fund(_small_paying(request))
    with statement_tasks(run=False) as queued, django_capture_on_commit_callbacks(execute=True):
        response = administrator.post(
            URL, {"file": SimpleUploadedFile("s.xml", content, "application/xml")}
        )
    statement = BankStatement.objects.get()
    assert queued == [{"statement_id": statement.pk}]
    assert (statement.status, statement.lines_total, statement.lines_done) == (
        BankStatementStatus.RECEIVED,
        3,
        0,
    )
    assert BankStatementLine.objects.count() == 0
    waiting = administrator.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in waiting
    assert "0 of 3 lines" in waiting

    assert import_statement(statement_id=statement.pk) == "done"
    statement.refresh_from_db()
    assert (statement.status, statement.lines_done) == (BankStatementStatus.DONE, 3)
    assert import_statement(statement_id=statement.pk) == "done"  # a re-run does nothing
    assert (BankStatementLine.objects.count(), Receipt.objects.count()) == (3, 1)
    page = administrator.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert "Booked" in page
    again = administrator.post(
        URL, {"file": SimpleUploadedFile("s.xml", content, "application/xml")}, follow=True
    )
    assert [str(m) for m in again.context["messages"]] == [
        "This statement was already recorded; nothing changed."
    ]
    assert (BankStatement.objects.count(), BankStatementLine.objects.count()) == (1, 3)


def test_an_interrupted_import_resumes_where_it_stopped() -> None:
    requests = [_request(1_000 + index) for index in range(5)]
    entries = [
        _entry(f"{(1_000 + index) / 100:.2f}", request.reference, f"B{index}")
        for index, request in enumerate(requests)
    ]
    bank_statement_import(
        content=_fund_statement(*entries), filename="r", actor=None, process=False
    )
    statement = BankStatement.objects.get()
    first = bank_statement_process(statement=statement, batch_size=2, batches=1)
    assert (first.status, first.lines_done, BankStatementLine.objects.count()) == (
        BankStatementStatus.PROCESSING,
        2,
        2,
    )
    done = bank_statement_process(statement=statement, batch_size=2)
    assert (done.status, done.lines_done, BankStatementLine.objects.count()) == (
        BankStatementStatus.DONE,
        5,
        5,
    )
    assert Receipt.objects.count() == 5
    assert books_check() == []


def test_a_statement_that_cannot_be_read_any_more_is_marked_failed(
    administrator: Client,
) -> None:
    statement = BankStatement.objects.create(
        account_iban=settings.FUND_IBAN,
        statement_id="GONE",
        sha256="0" * 64,
        uploaded_at=AT,
        content=_fund_statement(_entry("1.00")),  # holds STMT-1, not GONE
        lines_total=1,
    )
    assert import_statement(statement_id=statement.pk) == "failed"
    statement.refresh_from_db()
    assert (statement.status, statement.error, statement.lines_done) == (
        BankStatementStatus.FAILED,
        "The file holds no statement.",
        0,
    )
    assert import_statement(statement_id=statement.pk) == "failed"
    page = administrator.get(f"{URL}statements/{statement.pk}/").content.decode()
    assert "The statement could not be processed: The file holds no statement." in page
    assert 'http-equiv="refresh"' not in page
    assert import_statement(statement_id=statement.pk + 1) == "missing"


def test_a_partly_paid_request_cancelled_keeps_what_it_received(
    administrator_user: User,
) -> None:
    request = _request(3_000)
    payment_request_mark_paid(
        request=request,
        amount_cents=1_000,
        received_at=AT,
        actor=administrator_user,
        choice="partial",
    )
    pledge_cancel(pledge=request.pledge, actor=administrator_user)
    request.refresh_from_db()
    assert request.status == PaymentRequestStatus.CANCELLED
    assert Payment.objects.get(pk=request.payment_id).status == PaymentStatus.SUCCEEDED
    assert Receipt.objects.get().gross_cents == 1_000
    assert books_check() == []


def test_a_second_manual_booking_is_a_payment_of_its_own(administrator_user: User) -> None:
    request = _request(3_000)
    for amount in (1_000, 2_000):
        payment_request_mark_paid(
            request=request,
            amount_cents=amount,
            received_at=AT,
            actor=administrator_user,
            choice="partial",
        )
    request.refresh_from_db()
    assert (request.status, request.received_cents) == (PaymentRequestStatus.PAID, 3_000)
    assert list(request.extra_payments.values_list("amount_cents", flat=True)) == [2_000]
    assert sorted(Receipt.objects.values_list("gross_cents", flat=True)) == [1_000, 2_000]
    with pytest.raises(StatementError) as unknown:
        payment_request_mark_paid(
            request=_request(3_000),
            amount_cents=1_000,
            received_at=AT,
            actor=administrator_user,
            choice="maybe",
        )
    assert str(unknown.value) == "Choose a partial payment or to accept it as full payment."
    assert books_check() == []
