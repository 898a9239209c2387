"""Each funds model names its row in one line (the admin, the logs and the
shell show it): the names are exact and distinct."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from funds.enums import (
    AccountKind,
    FundSettingKey,
    JournalSource,
    PaymentMethod,
    PaymentStatus,
    RefundKind,
)
from funds.models import (
    Account,
    BankStatement,
    BankStatementLine,
    FundSettingValue,
    Journal,
    JournalLeg,
    Payment,
    PaymentEvent,
    PaymentRequest,
    PaymentRequestCounter,
    Receipt,
    Refund,
    StripeEvent,
)

pytestmark = [pytest.mark.unit]


@pytest.mark.parametrize(
    ("row", "name"),
    [
        (
            FundSettingValue(
                pk=3,
                key=FundSettingKey.PLEDGE_MIN_CENTS,
                value=500,
                effective_at=datetime(2026, 1, 2, 9, 30, tzinfo=UTC),
            ),
            "pledge_min_cents=500 from 2026-01-02 09:30 (3)",
        ),
        (Account(kind=AccountKind.POOL), "pool"),
        (Account(kind=AccountKind.PROJECT, project_id=12), "project:12"),
        (
            Journal(pk=5, source=JournalSource.RECEIPT, external_id="payment:9"),
            "receipt:payment:9 (#5)",
        ),
        (JournalLeg(pk=8, journal_id=5, account_id=2, amount_cents=-1250), "5/2: -1250 (#8)"),
        (
            Payment(
                pk=9,
                method=PaymentMethod.CARD,
                amount_cents=5000,
                currency="EUR",
                status=PaymentStatus.SUCCEEDED,
            ),
            "payment #9 card 5000 EUR succeeded",
        ),
        (
            PaymentEvent(pk=4, payment_id=9, status=PaymentStatus.PENDING),
            "payment #9 -> pending (4)",
        ),
        (
            Refund(pk=2, payment_id=9, kind=RefundKind.DISPUTE, amount_cents=700),
            "dispute #2 of payment #9: 700",
        ),
        (Receipt(pk=6, gross_cents=5000, currency="EUR"), "receipt #6: 5000 EUR"),
        (PaymentRequestCounter(year=2026, last_number=41), "2026: 41"),
        (PaymentRequest(number="LIB-2026-000041"), "LIB-2026-000041"),
        (
            BankStatement(account_iban="FR7630006000011234567890189", statement_id="STMT-1"),
            "FR7630006000011234567890189 STMT-1",
        ),
        (
            BankStatementLine(statement_id=7, entry_reference="ENTRY-3", amount_cents=2500),
            "7/ENTRY-3: 2500",
        ),
        (
            StripeEvent(stripe_event_id="evt_123", type="payment_intent.succeeded"),
            "evt_123 payment_intent.succeeded",
        ),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, str) else None,
)
def test_a_row_is_named_in_one_line(row: object, name: str) -> None:
    assert str(row) == name


@pytest.mark.django_db
def test_a_receipt_s_earmark_lines_follow_its_snapshot() -> None:
    """Recorded with the receipt (one line per earmarked project), named in one line."""
    from funds.enums import PaymentEventSource  # noqa: PLC0415 -- only this test
    from funds.models import ReceiptEarmark  # noqa: PLC0415 -- only this test
    from funds.services import payment_succeed  # noqa: PLC0415 -- only this test
    from tests.factories.contributors import EarmarkFactory, PledgeFactory  # noqa: PLC0415
    from tests.factories.funds import PaymentFactory  # noqa: PLC0415 -- only this test

    pledge = PledgeFactory.create(amount_cents=3_000)
    earmark = EarmarkFactory.create(pledge=pledge, share_bp=1234)
    receipt = payment_succeed(
        payment=PaymentFactory.create(pledge=pledge),
        gross_cents=3_000,
        processor_fee_cents=0,
        received_at=datetime(2026, 3, 5, tzinfo=UTC),
        source=PaymentEventSource.STRIPE_WEBHOOK,
    )
    [line] = ReceiptEarmark.objects.filter(receipt=receipt)
    assert (line.project_id, line.share_bp) == (earmark.project_id, 1234)
    assert str(line) == f"receipt {receipt.pk}: project {earmark.project_id} 1234 bp"
