"""A webhook's booking (the task that books a receipt from a
`payment_intent.succeeded`) is a bounded number of SQL statements and one
commit, counted outside any test transaction, as in production: Stripe is
asked before the booking's one transaction opens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext

from funds.enums import AccountKind, PaymentStatus
from funds.models import Receipt, StripeEvent
from funds.services.ledger import ledger_accounts
from funds.stripe.renewals import pledges_charge_due
from funds.tasks import handle_stripe_event
from tests.factories.contributors import EarmarkFactory
from tests.funds.test_stripe_monthly import monthly_pledge
from tests.funds.test_stripe_webhooks import (
    WEBHOOK_URL,
    charged_behind_our_back,
    event_payload,
    sign,
)
from tests.tasks import queued_tasks

pytestmark = [pytest.mark.integration]

# Statements other than BEGIN and COMMIT: 15, one more for a receipt's earmark lines.
MAX_BOOKING_QUERIES = 15
TRANSACTION_CONTROL = ("BEGIN", "COMMIT")
# A monthly charge alone in its batch, the day's selection of retries included
# (53 statements before issue 16, 35 before the charges were batched).
MAX_CHARGE_QUERIES = 15


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("earmarks", [0, 2])
def test_a_booking_event_is_at_most_15_queries_and_one_commit(
    localstripe: str, earmarks: int
) -> None:
    ledger_accounts(
        kinds=[AccountKind.STRIPE_CLEARING, AccountKind.PROCESSOR_FEES, AccountKind.UNALLOCATED]
    )  # as on any day but the fund's first
    payment = charged_behind_our_back(localstripe)
    for _n in range(earmarks):
        EarmarkFactory.create(pledge=payment.pledge, share_bp=1000)
    payload = event_payload(
        "evt_q", "payment_intent.succeeded", payment.stripe_payment_intent_id or ""
    )
    with queued_tasks(handle_stripe_event, run=False) as queued:
        response = Client().post(
            WEBHOOK_URL,
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(payload),
        )
    assert response.status_code == 200

    with CaptureQueriesContext(connection) as captured:
        assert handle_stripe_event.apply(kwargs=queued[0], throw=True).get() is True

    statements = [query["sql"] for query in captured.captured_queries]
    work = [sql for sql in statements if not sql.startswith(TRANSACTION_CONTROL)]
    assert len(work) <= MAX_BOOKING_QUERIES + (1 if earmarks else 0), "\n".join(work)
    if connection.vendor == "postgresql":  # SQLite's transaction control is not captured
        assert statements.count("COMMIT") == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert Receipt.objects.get(payment=payment).gross_cents == 5000
    assert StripeEvent.objects.get().status == "succeeded"


@pytest.mark.django_db
def test_a_redelivered_or_repeated_booking_task_books_nothing_more(localstripe: str) -> None:
    payment = charged_behind_our_back(localstripe)
    payload = event_payload(
        "evt_r", "payment_intent.succeeded", payment.stripe_payment_intent_id or ""
    )
    with (
        queued_tasks(handle_stripe_event, run=False) as queued,
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        Client().post(
            WEBHOOK_URL,
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(payload),
        )
    assert handle_stripe_event.apply(kwargs=queued[0], throw=True).get() is True
    assert handle_stripe_event.apply(kwargs=queued[0], throw=True).get() is False
    assert Receipt.objects.filter(payment=payment).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_monthly_charge_commits_twice(localstripe: str) -> None:
    """Once before Stripe is asked (the month's payment made and claimed, the
    next month scheduled), once after (the PaymentIntent and its receipt)."""
    pledge = monthly_pledge(localstripe)
    due = datetime(2026, 12, 25, 7, 0, tzinfo=UTC)

    with time_machine.travel(due, tick=False), CaptureQueriesContext(connection) as captured:
        assert pledges_charge_due(today=due.date()).charged == 1

    statements = [query["sql"] for query in captured.captured_queries]
    work = [sql for sql in statements if not sql.startswith(TRANSACTION_CONTROL)]
    assert len(work) <= MAX_CHARGE_QUERIES, "\n".join(work)
    if connection.vendor == "postgresql":  # SQLite's transaction control is not captured
        assert statements.count("COMMIT") == 2
    assert Receipt.objects.filter(pledge=pledge).count() == 2  # the first month and this one
