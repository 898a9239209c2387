"""Refunds and disputes refuse amounts that are not money, a reversal with no
receipt to reverse, and record the first reviewer only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from contributors.models import User
from funds.enums import PaymentStatus, RefundKind
from funds.models import Receipt, Refund
from funds.services import PaymentError, refund_mark_reviewed, refund_record, refund_succeed
from tests.factories import UserFactory
from tests.factories.funds import PaymentFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("amount", [0, -100])
def test_a_refund_is_a_positive_amount(amount: int) -> None:
    payment = PaymentFactory.create(status=PaymentStatus.SUCCEEDED, amount_cents=5000)
    with pytest.raises(PaymentError) as caught:
        refund_record(payment=payment, kind=RefundKind.REFUND, amount_cents=amount)
    assert str(caught.value) == "A refund is a positive whole number of cents."
    assert Refund.objects.count() == 0


@pytest.mark.parametrize(
    ("fee", "message"),
    [(-1, "A processor fee cannot be negative."), (1.5, "Amounts are whole cents.")],
)
def test_a_reversal_fee_is_whole_non_negative_cents(fee: Any, message: str) -> None:
    payment = PaymentFactory.create(status=PaymentStatus.SUCCEEDED, amount_cents=5000)
    refund = refund_record(payment=payment, kind=RefundKind.REFUND, amount_cents=1000)
    with pytest.raises(PaymentError) as caught:
        refund_succeed(refund=refund, received_at=AT, processor_fee_cents=fee)
    assert str(caught.value) == message
    assert Receipt.objects.count() == 0


def test_a_payment_without_a_receipt_has_nothing_to_reverse() -> None:
    payment = PaymentFactory.create(status=PaymentStatus.SUCCEEDED, amount_cents=5000)
    refund = refund_record(payment=payment, kind=RefundKind.REFUND, amount_cents=1000)
    with pytest.raises(PaymentError) as caught:
        refund_succeed(refund=refund, received_at=AT)
    assert str(caught.value) == f"Payment #{payment.pk} has no receipt to reverse."
    assert Receipt.objects.count() == 0


def test_the_first_review_is_the_one_recorded(administrator_user: User) -> None:
    payment = PaymentFactory.create(status=PaymentStatus.SUCCEEDED, amount_cents=5000)
    refund = refund_record(payment=payment, kind=RefundKind.DISPUTE, amount_cents=5000)
    first = refund_mark_reviewed(refund=refund, actor=administrator_user)
    later = refund_mark_reviewed(refund=refund, actor=UserFactory.create())
    assert (later.reviewed_by, later.reviewed_at) == (administrator_user, first.reviewed_at)
    refund.refresh_from_db()
    assert refund.reviewed_by == administrator_user
