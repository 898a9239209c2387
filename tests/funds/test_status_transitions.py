"""Refunds, payment requests and statement lines change status only through
their maps: an illegal move is refused, a repeated one is a no-op, and each
move writes its one audit entry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from contributors.models import User
from funds.enums import (
    PaymentEventSource,
    PaymentRequestStatus,
    PaymentStatus,
    RefundKind,
    RefundStatus,
    StatementLineStatus,
)
from funds.models import BankStatement, BankStatementLine, Payment, PaymentRequest, Refund
from funds.services import (
    PaymentError,
    StatementError,
    payment_request_issue,
    payment_request_mark_paid,
    payment_succeed,
    refund_fail,
    refund_record,
    refund_succeed,
    statement_line_decide,
)
from librery.models import LogEntry
from tests.factories.contributors import PledgeFactory
from tests.factories.funds import PaymentFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
AT = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def audit(obj: Any) -> list[tuple[str, dict[str, Any]]]:
    return list(
        LogEntry.objects.filter(
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
        )
        .order_by("id")
        .values_list("action", "data")
    )


def succeeded_payment(amount: int = 5000) -> Payment:
    payment = PaymentFactory.create(pledge=PledgeFactory.create(amount_cents=amount))
    payment_succeed(
        payment=payment,
        gross_cents=amount,
        processor_fee_cents=0,
        received_at=AT,
        source=PaymentEventSource.STRIPE_WEBHOOK,
    )
    return payment


def test_a_succeeded_refund_cannot_fail() -> None:
    refund = refund_record(payment=succeeded_payment(), kind=RefundKind.REFUND, amount_cents=2000)
    receipt = refund_succeed(refund=refund, received_at=AT)

    with pytest.raises(PaymentError, match=rf"^Refund #{refund.pk} already succeeded\.$"):
        refund_fail(refund=refund)

    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.SUCCEEDED
    assert audit(refund) == [
        ("funds.refund.opened", {"payment": refund.payment_id, "amount_cents": 2000}),
        ("funds.refund.succeeded", {"receipt": receipt.pk, "gross_cents": -2000}),
    ]


def test_a_failed_refund_fails_once_and_never_succeeds() -> None:
    dispute = refund_record(payment=succeeded_payment(), kind=RefundKind.DISPUTE, amount_cents=5000)

    assert refund_fail(refund=dispute).status == RefundStatus.FAILED
    assert refund_fail(refund=dispute).status == RefundStatus.FAILED
    with pytest.raises(PaymentError, match=rf"^Refund #{dispute.pk} failed; it moved no money\.$"):
        refund_succeed(refund=dispute, received_at=AT)

    assert [action for action, _data in audit(dispute)] == [
        "funds.dispute.opened",
        "funds.dispute.failed",
    ]


def _request(amount: int = 10_000) -> PaymentRequest:
    pledge = PledgeFactory.create(amount_cents=amount, payment_method="bank_transfer")
    return payment_request_issue(pledge=pledge, at=AT)


def test_a_payment_request_is_paid_once_and_a_cancelled_one_never(
    administrator_user: User,
) -> None:
    request = _request()
    paid = payment_request_mark_paid(
        request=request, amount_cents=10_000, received_at=AT, actor=administrator_user
    )
    assert paid.status == PaymentRequestStatus.PAID
    with pytest.raises(StatementError, match="not awaiting payment"):
        payment_request_mark_paid(
            request=request, amount_cents=10_000, received_at=AT, actor=administrator_user
        )
    assert [action for action, _data in audit(request)] == [
        "funds.payment_request.issued",
        "funds.payment_request.paid_manually",
    ]
    assert audit(request)[1][1] == {"amount_cents": 10_000}

    cancelled = _request()
    PaymentRequest.objects.filter(pk=cancelled.pk).update(status=PaymentRequestStatus.CANCELLED)
    with pytest.raises(StatementError, match="not awaiting payment"):
        payment_request_mark_paid(
            request=cancelled, amount_cents=10_000, received_at=AT, actor=administrator_user
        )
    assert Payment.objects.get(pk=cancelled.payment_id).status == PaymentStatus.PENDING


def _line(
    status: StatementLineStatus,
    *,
    amount: int = 10_000,
    is_credit: bool = True,
    request: PaymentRequest | None = None,
) -> BankStatementLine:
    statement, _created = BankStatement.objects.get_or_create(
        account_iban="FR7630006000011234567890189",
        statement_id="2026-03",
        defaults={"sha256": "0" * 64, "uploaded_at": AT},
    )
    return BankStatementLine.objects.create(
        statement=statement,
        entry_reference=f"entry-{BankStatementLine.objects.count()}",
        amount_cents=amount,
        currency="EUR",
        is_credit=is_credit,
        booking_date=date(2026, 3, 4),
        payment_request=request,
        status=status,
    )


def test_an_outgoing_line_is_neither_booked_nor_ignored(administrator_user: User) -> None:
    debit = _line(StatementLineStatus.DEBIT, is_credit=False)

    for decision in ("book", "ignore"):
        with pytest.raises(StatementError, match=r"^Only incoming transfers can be booked\.$"):
            statement_line_decide(line=debit, decision=decision, actor=administrator_user)

    debit.refresh_from_db()
    assert (debit.status, debit.decided_by) == (StatementLineStatus.DEBIT, None)
    assert audit(debit) == []


def test_an_ignored_line_is_ignored_once_and_never_booked(administrator_user: User) -> None:
    line = _line(StatementLineStatus.UNMATCHED)

    ignored = statement_line_decide(line=line, decision="ignore", actor=administrator_user)
    again = statement_line_decide(line=line, decision="ignore", actor=administrator_user)
    with pytest.raises(StatementError, match=r"^This line was already decided\.$"):
        statement_line_decide(
            line=line, decision="book", actor=administrator_user, payment_request=_request()
        )

    assert (ignored.status, again.status) == (StatementLineStatus.IGNORED,) * 2
    line.refresh_from_db()
    assert (line.status, line.decided_by, line.booked_payment_id) == (
        StatementLineStatus.IGNORED,
        administrator_user,
        None,
    )
    assert audit(line) == [("funds.bank_statement_line.ignored", {})]


def test_booking_marks_the_request_paid_once_and_an_extra_line_makes_an_extra_payment(
    administrator_user: User,
) -> None:
    request = _request(10_000)
    partial = _line(StatementLineStatus.PARTIAL, amount=6_000, request=request)
    extra = _line(StatementLineStatus.OVERPAID, amount=4_000, request=request)

    booked = statement_line_decide(line=partial, decision="book", actor=administrator_user)
    booked_extra = statement_line_decide(line=extra, decision="book", actor=administrator_user)

    assert (booked.status, booked.booked_payment_id) == (
        StatementLineStatus.BOOKED,
        request.payment_id,
    )
    assert booked_extra.status == StatementLineStatus.BOOKED
    assert booked_extra.booked_payment_id not in {None, request.payment_id}
    request.refresh_from_db()
    assert request.status == PaymentRequestStatus.PAID
    assert [action for action, _data in audit(request)] == [
        "funds.payment_request.issued",
        "funds.payment_request.paid",
    ]
    assert audit(partial) == [
        (
            "funds.bank_statement_line.booked",
            {"payment": request.payment_id, "amount_cents": 6_000},
        )
    ]
    assert audit(extra) == [
        (
            "funds.bank_statement_line.booked",
            {"payment": booked_extra.booked_payment_id, "amount_cents": 4_000},
        )
    ]
