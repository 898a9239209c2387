"""The funds beat tasks are thin: the daily payment requests task issues what
the service finds due, once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from funds.models import PaymentRequest
from funds.services import payment_request_issue, payment_request_mark_paid
from funds.tasks import issue_due_payment_requests
from tests.factories.contributors import PledgeFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def test_the_daily_task_issues_the_due_payment_requests_once() -> None:
    pledge = PledgeFactory.create(
        amount_cents=20_000, payment_method="bank_transfer", frequency="monthly"
    )
    first = payment_request_issue(pledge=pledge, at=AT)
    payment_request_mark_paid(request=first, amount_cents=20_000, received_at=AT, actor=None)
    pledge.refresh_from_db()
    assert pledge.next_charge_date is not None
    due = datetime.combine(pledge.next_charge_date, datetime.min.time(), UTC).replace(hour=12)
    with time_machine.travel(due, tick=False):
        assert (issue_due_payment_requests(), issue_due_payment_requests()) == (1, 0)
    assert PaymentRequest.objects.filter(pledge=pledge).count() == 2
