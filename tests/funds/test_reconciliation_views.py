from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase

from contributors.models import User
from funds.enums import PaymentRequestStatus, StatementLineStatus
from funds.models import BankStatement, BankStatementLine, Receipt
from funds.services import payment_request_issue, refund_record
from tests.factories.contributors import PledgeFactory
from tests.factories.funds import PaymentFactory
from tests.funds.statements import for_fund, statement_tasks
from tests.paths import DATA

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
SEPA = DATA / "sepa"
SMALL = SEPA / "camt053-real-anonymised-small__Subite-eu__camt-to-coda.xml"
URL = "/en/funds/reconciliation/"


def _upload(client: Client, content: bytes, name: str = "statement.xml") -> Any:
    """Upload a statement; the import task it enqueues runs as a worker would."""
    with statement_tasks(), TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(URL, {"file": SimpleUploadedFile(name, content, "application/xml")})


@pytest.mark.parametrize(
    "persona", ["anonymous", "contributor", "maintainer", "seat_holder", "outsider"]
)
def test_only_administrators_reach_reconciliation(
    persona: str, request: pytest.FixtureRequest
) -> None:
    client: Client = request.getfixturevalue(persona)
    assert client.get(URL).status_code == 404
    assert _upload(client, SMALL.read_bytes()).status_code == 404
    assert BankStatement.objects.count() == 0


def test_upload_twice_books_once_and_lists_unmatched(administrator: Client) -> None:
    pledge = PledgeFactory.create(amount_cents=78_990_440, payment_method="bank_transfer")
    request = payment_request_issue(pledge=pledge)
    content = for_fund(SMALL.read_bytes()).replace(
        b"<Ustrd>NOTPROVIDED</Ustrd>", f"<Ustrd>Facture {request.reference}</Ustrd>".encode()
    )
    response = _upload(administrator, content)
    assert response.status_code == 302
    statement = BankStatement.objects.get()
    detail = administrator.get(response["Location"]).content.decode()
    assert "Booked" in detail
    assert _upload(administrator, content).status_code == 302
    assert BankStatement.objects.count() == 1
    assert Receipt.objects.count() == 1
    request.refresh_from_db()
    assert request.status == PaymentRequestStatus.PAID
    lines = BankStatementLine.objects.filter(statement=statement)
    assert sorted(lines.values_list("status", flat=True)) == ["booked", "debit", "debit"]


def test_malformed_upload_gets_a_message(administrator: Client) -> None:
    response = _upload(administrator, b"<not-camt/>")
    assert response.status_code == 400
    assert "This is not a CAMT.053 statement" in response.content.decode()
    response = _upload(administrator, b"x", name="statement.pdf")
    assert response.status_code == 400
    assert BankStatement.objects.count() == 0


def test_unmatched_line_booked_by_hand_with_author(
    administrator: Client, administrator_user: User
) -> None:
    _upload(administrator, for_fund(SMALL.read_bytes()))
    line = BankStatementLine.objects.get(status=StatementLineStatus.UNMATCHED)
    request = payment_request_issue(
        pledge=PledgeFactory.create(amount_cents=78_990_440, payment_method="bank_transfer")
    )
    response = administrator.post(
        f"{URL}lines/{line.pk}/decide/", {"decision": "book", "payment_request": request.number}
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.decided_by) == (StatementLineStatus.BOOKED, administrator_user)


def test_manual_mark_paid_and_refund_review(
    administrator: Client, administrator_user: User
) -> None:
    request = payment_request_issue(
        pledge=PledgeFactory.create(amount_cents=10_000, payment_method="bank_transfer")
    )
    page = administrator.get(URL).content.decode()
    assert request.reference in page
    bad = administrator.post(
        f"{URL}requests/{request.pk}/paid/", {"amount": "abc", "received_on": "2026-03-01"}
    )
    assert bad.status_code == 302
    request.refresh_from_db()
    assert request.status == PaymentRequestStatus.AWAITING_PAYMENT
    administrator.post(
        f"{URL}requests/{request.pk}/paid/", {"amount": "100", "received_on": "2026-03-01"}
    )
    request.refresh_from_db()
    assert request.status == PaymentRequestStatus.PAID
    assert Receipt.objects.get().gross_cents == 10_000

    refund = refund_record(payment=request.payment, kind="refund", amount_cents=500)
    assert "Refund" in administrator.get(URL).content.decode()
    administrator.post(f"{URL}refunds/{refund.pk}/reviewed/")
    refund.refresh_from_db()
    assert refund.reviewed_by == administrator_user


@pytest.mark.parametrize("rows", [1, 3])
def test_reconciliation_page_queries_do_not_grow(
    administrator: Client, rows: int, django_assert_max_num_queries: object
) -> None:
    for _ in range(rows):
        payment_request_issue(pledge=PledgeFactory.create(payment_method="bank_transfer"))
        refund_record(
            payment=PaymentFactory.create(status="succeeded"), kind="dispute", amount_cents=100
        )
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        assert administrator.get(URL).status_code == 200


def _messages(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_refused_decisions_and_payments_are_explained(
    administrator: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    administrator.get(_upload(administrator, for_fund(SMALL.read_bytes()))["Location"])
    debit = BankStatementLine.objects.filter(status=StatementLineStatus.DEBIT).first()
    assert debit is not None
    decide = f"{URL}lines/{debit.pk}/decide/"
    unknown = administrator.post(
        decide, {"decision": "book", "payment_request": "LIB-0"}, follow=True
    )
    assert _messages(unknown) == ["Unknown payment request number."]
    refused = administrator.post(decide, {"decision": "book"}, follow=True)
    assert _messages(refused) == ["Only incoming transfers can be booked."]
    debit.refresh_from_db()
    assert (debit.status, debit.decided_by) == (StatementLineStatus.DEBIT, None)

    request = payment_request_issue(
        pledge=PledgeFactory.create(amount_cents=10_000, payment_method="bank_transfer")
    )
    paid = {"amount": "100", "received_on": "2026-03-01"}
    first = administrator.post(f"{URL}requests/{request.pk}/paid/", paid, follow=True)
    assert _messages(first) == ["The transfer is booked."]
    again = administrator.post(f"{URL}requests/{request.pk}/paid/", paid, follow=True)
    assert _messages(again) == ["This payment request is not awaiting payment."]
    assert Receipt.objects.filter(payment=request.payment).count() == 1

    monkeypatch.setattr(settings, "STATEMENT_MAX_BYTES", 10)
    large = _upload(administrator, SMALL.read_bytes())
    assert large.status_code == 400
    assert "The file is too large for a bank statement (at most 10\xa0bytes)." in large.text


def test_a_body_larger_than_the_largest_statement_is_refused_unread(
    administrator: Client,
) -> None:
    """A 413 from the Content-Length, naming the limit (50 MB by default)."""
    boundary = "librery-boundary"
    response = administrator.generic(
        "POST",
        URL,
        f"--{boundary}--\r\n".encode(),
        content_type=f"multipart/form-data; boundary={boundary}",
        CONTENT_LENGTH=settings.STATEMENT_MAX_BYTES + 65_537,
    )
    assert response.status_code == 413
    assert "The file is too large for a bank statement (at most 50.0\xa0MB)." in response.text
    assert BankStatement.objects.count() == 0
