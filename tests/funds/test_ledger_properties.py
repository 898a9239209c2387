"""Property: whatever the order of successes, refunds and replays, the books
hold every invariant and end the same."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funds.enums import AccountKind, PaymentEventSource
from funds.models import Receipt, Refund
from funds.selectors import account_balance_cents, books_check
from funds.services import (
    PaymentError,
    payment_succeed,
    refund_fail,
    refund_record,
    refund_succeed,
)
from tests.factories.contributors import PledgeFactory
from tests.factories.funds import PaymentFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
AT = datetime(2026, 3, 1, tzinfo=UTC)

# (payment index, gross, fee) successes and (payment index, amount) refunds, replayed at random.
operations = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(0, 2), st.integers(1, 10**7), st.integers(0, 500)),
        st.tuples(st.just("refund"), st.integers(0, 2), st.integers(1, 10**6), st.just(0)),
        # a dispute, lost (with a dispute fee) or won (fee 0 here means won)
        st.tuples(
            st.just("dispute"), st.integers(0, 2), st.integers(1, 10**6), st.sampled_from([0, 1500])
        ),
    ),
    min_size=1,
    max_size=12,
)


def _apply(ops: list[tuple[str, int, int, int]]) -> tuple[int, int, int]:
    payments = [
        PaymentFactory.create(pledge=PledgeFactory.create(amount_cents=10**7)) for _ in range(3)
    ]
    for kind, index, amount, fee in ops:
        payment = payments[index]
        if kind == "pay":
            payment_succeed(
                payment=payment,
                gross_cents=max(amount, fee),
                processor_fee_cents=fee,
                received_at=AT,
                source=PaymentEventSource.STRIPE_WEBHOOK,
            )
            continue
        try:
            if kind == "refund":
                refund = refund_record(
                    payment=payment,
                    kind="refund",
                    amount_cents=amount,
                    stripe_refund_id=f"re_{payment.pk}_{amount}",
                )
                refund_succeed(refund=refund, received_at=AT)
                continue
            dispute = refund_record(
                payment=payment,
                kind="dispute",
                amount_cents=amount,
                stripe_dispute_id=f"dp_{payment.pk}_{amount}_{fee}",
            )
            if fee:
                refund_succeed(refund=dispute, received_at=AT, processor_fee_cents=fee)
            else:
                refund_fail(refund=dispute)
        except PaymentError:
            pass  # not paid yet, already refunded past the amount: refused, nothing booked
    assert books_check() == []
    receipts = Receipt.objects.all()
    gross = sum(r.gross_cents for r in receipts)
    fees = sum(r.processor_fee_cents for r in receipts)
    assert account_balance_cents(kind=AccountKind.UNALLOCATED) == gross
    assert account_balance_cents(kind=AccountKind.PROCESSOR_FEES) == fees
    assert account_balance_cents(kind=AccountKind.STRIPE_CLEARING) == gross - fees
    for payment in payments:
        received = Receipt.objects.filter(payment=payment, refund__isnull=True).first()
        given_back = sum(
            r.amount_cents for r in Refund.objects.filter(payment=payment, status="succeeded")
        )
        assert given_back <= (received.gross_cents if received else 0)
    return gross, fees, receipts.count()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_any_order_of_payments_refunds_and_replays_keeps_the_books(
    ops: list[tuple[str, int, int, int]],
) -> None:
    with transaction.atomic():
        _apply(ops + ops)  # every operation delivered twice
        transaction.set_rollback(True)
