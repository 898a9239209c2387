"""Monthly pledges: the beat task's service charges each month off-session,
once, with keys derived from the pledge and the month; failures are retried
on schedule and suspend the pledge; a lost answer is recovered."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection

from contributors.enums import PledgeFrequency, PledgeStatus
from contributors.models import Pledge
from contributors.services import pledge_save_payment_method
from funds.enums import PaymentStatus
from funds.models import Payment, Receipt
from funds.selectors import books_check
from funds.stripe.client import GatewayError, IntentState, StripeGateway, gateway, use_gateway
from funds.stripe.renewals import (
    pledges_charge_due,
    pledges_due,
    pledges_due_batch,
    retry_candidates,
)
from funds.stripe.webhooks import stripe_reconcile
from funds.tasks import charge_due_pledges, stripe_reconcile_recent
from librery.celery import app as celery_app
from tests.factories.contributors import PledgeFactory
from tests.factories.funds import PaymentEventFactory, PaymentFactory
from tests.funds.conftest import localstripe_call
from tests.funds.test_stripe_payments import CARD_CHARGE_DECLINED, confirm_setup, pay
from tests.services import is_postgresql, need

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class FaultyStripe(StripeGateway):
    """The real gateway, wrapped: it records idempotency keys, answers a
    repeated key with the first answer (as Stripe does; localstripe does not),
    and can lose the answer of the next N charges after Stripe made them."""

    def __init__(self, real: StripeGateway, *, lose_answers: int = 0) -> None:
        self.__dict__.update(real.__dict__)
        self.keys: list[str] = []
        self.answers: dict[str, IntentState] = {}
        self.lose_answers = lose_answers

    def payment_intent_create(self, **kwargs: Any) -> IntentState:
        key = kwargs["idempotency_key"]
        self.keys.append(key)
        if key in self.answers:
            return self.answers[key]
        answer = super().payment_intent_create(**kwargs)
        self.answers[key] = answer
        if self.lose_answers:
            self.lose_answers -= 1
            raise GatewayError("connection reset after Stripe charged")
        return answer


def intents_of(base: str, customer: str) -> list[dict[str, Any]]:
    listed = localstripe_call(base, "GET", "/v1/payment_intents?limit=100")["data"]
    return [intent for intent in listed if intent["customer"] == customer]


def monthly_pledge(base: str, amount: int = 5000) -> Pledge:
    """A monthly pledge whose first month was paid on our page on START."""
    pledge = PledgeFactory.create(frequency=PledgeFrequency.MONTHLY, amount_cents=amount)
    with time_machine.travel(START, tick=False):
        first = pay(base, pledge)
    assert first.status == PaymentStatus.SUCCEEDED
    pledge.refresh_from_db()
    assert (pledge.status, pledge.next_charge_date) == (PledgeStatus.ACTIVE, date(2026, 12, 25))
    return pledge


def test_a_monthly_pledge_is_charged_over_three_months_once_each(localstripe: str) -> None:
    pledge = monthly_pledge(localstripe)

    with time_machine.travel(START + timedelta(days=29), tick=False):  # not due yet
        assert pledges_charge_due(today=date(2026, 12, 24)).charged == 0
    for day in (date(2026, 12, 25), date(2027, 1, 25)):
        with time_machine.travel(datetime.combine(day, datetime.min.time(), UTC), tick=False):
            assert pledges_charge_due(today=day).charged == 1
            assert pledges_charge_due(today=day).charged == 0  # the task ran twice

    payments = Payment.objects.filter(pledge=pledge).order_by("id")
    assert [(p.idempotency_key, p.status) for p in payments] == [
        (f"pledge_{pledge.pk}_2026-11", "succeeded"),
        (f"pledge_{pledge.pk}_2026-12", "succeeded"),
        (f"pledge_{pledge.pk}_2027-01", "succeeded"),
    ]
    assert [p.period_date for p in payments] == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]
    assert Receipt.objects.filter(pledge=pledge).count() == 3
    assert len(intents_of(localstripe, pledge.stripe_customer_id)) == 3
    pledge.refresh_from_db()
    assert pledge.next_charge_date == date(2027, 2, 25)
    assert books_check() == []


def test_the_beat_task_is_a_thin_call(localstripe: str) -> None:
    pledge = monthly_pledge(localstripe)
    with time_machine.travel(datetime(2026, 12, 25, 7, 0, tzinfo=UTC), tick=False):
        assert charge_due_pledges() == {"charged": 1, "retried": 0}
        assert charge_due_pledges() == {"charged": 0, "retried": 0}
    assert Payment.objects.filter(pledge=pledge).count() == 2


def test_failed_renewals_are_retried_on_schedule_then_the_pledge_is_suspended(
    localstripe: str, django_capture_on_commit_callbacks: Any
) -> None:
    pledge = monthly_pledge(localstripe)
    # The contributor's card now declines every charge.
    start = gateway().setup_intent_create(
        customer=pledge.stripe_customer_id,
        method_type="card",
        metadata={"pledge": str(pledge.pk)},
        idempotency_key=f"pledge_{pledge.pk}_card_change",
    )
    confirm_setup(localstripe, start.client_secret, card=CARD_CHARGE_DECLINED)
    setup = gateway().setup_intent_retrieve(start.id)
    pledge_save_payment_method(
        pledge=pledge,
        customer_id=pledge.stripe_customer_id,
        payment_method_id=setup.payment_method or "",
    )

    days = {
        date(2026, 12, 25): (1, 0),  # the month is due: attempt 1 fails
        date(2026, 12, 26): (0, 1),  # a day later: attempt 2 fails
        date(2026, 12, 28): (0, 0),  # not yet (3 days after attempt 2)
        date(2026, 12, 29): (0, 1),  # attempt 3 fails
        date(2027, 1, 5): (0, 1),  # 7 days later: attempt 4 fails, the pledge is suspended
        date(2027, 1, 20): (0, 0),  # nothing more
    }
    with django_capture_on_commit_callbacks() as callbacks:
        for day, expected in days.items():
            with time_machine.travel(datetime.combine(day, datetime.min.time(), UTC), tick=False):
                run = pledges_charge_due(today=day)
                assert (run.charged, run.retried) == expected, day

    keys = list(
        Payment.objects.filter(pledge=pledge, period_date=date(2026, 12, 1))
        .order_by("attempt")
        .values_list("idempotency_key", "status")
    )
    base = f"pledge_{pledge.pk}_2026-12"
    assert keys == [
        (base, "failed"),
        (f"{base}_a2", "failed"),
        (f"{base}_a3", "failed"),
        (f"{base}_a4", "failed"),
    ]
    pledge.refresh_from_db()
    assert (pledge.status, pledge.failed_attempts) == (PledgeStatus.SUSPENDED, 4)
    # One email per failure, and one more about the suspension.
    assert len(callbacks) == 5
    with time_machine.travel(datetime(2027, 1, 25, tzinfo=UTC), tick=False):
        assert pledges_charge_due(today=date(2027, 1, 25)).charged == 0


def test_keys_are_derived_and_a_duplicated_task_never_charges_twice(localstripe: str) -> None:
    pledge = monthly_pledge(localstripe)
    faulty = FaultyStripe(gateway())
    with use_gateway(faulty), time_machine.travel(datetime(2026, 12, 25, tzinfo=UTC), tick=False):
        pledges_charge_due(today=date(2026, 12, 25))
        pledges_charge_due(today=date(2026, 12, 25))
        # Even a task that forgot the month was started finds the claim.
        Pledge.objects.filter(pk=pledge.pk).update(next_charge_date=date(2026, 12, 25))
        pledges_charge_due(today=date(2026, 12, 25))

    assert faulty.keys == [f"pledge_{pledge.pk}_2026-12"]
    assert len(intents_of(localstripe, pledge.stripe_customer_id)) == 2


def test_a_charge_whose_answer_was_lost_is_recovered_once(localstripe: str) -> None:
    pledge = monthly_pledge(localstripe)
    faulty = FaultyStripe(gateway(), lose_answers=1)
    due = datetime(2026, 12, 25, 7, 0, tzinfo=UTC)
    with use_gateway(faulty):
        with time_machine.travel(due, tick=False):
            assert pledges_charge_due(today=date(2026, 12, 25)).charged == 0
            payment = Payment.objects.get(idempotency_key=f"pledge_{pledge.pk}_2026-12")
            assert (payment.status, payment.stripe_payment_intent_id) == ("pending", None)
            assert pledges_charge_due(today=date(2026, 12, 25)).charged == 0
        with time_machine.travel(due + timedelta(minutes=11), tick=False):
            # The stale claim is charged again with the same key: Stripe answers
            # with the intent it already made.
            Payment.objects.filter(pk=payment.pk).update(updated_at=due)
            result = stripe_reconcile(since=due + timedelta(days=400))  # no events: claims only
    assert result.claims_resumed == 1
    assert faulty.keys == [payment.idempotency_key, payment.idempotency_key]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert len(intents_of(localstripe, pledge.stripe_customer_id)) == 2
    assert books_check() == []


def test_reconciliation_recovers_a_lost_webhook_from_the_event_list(localstripe: str) -> None:
    pledge = monthly_pledge(localstripe)
    faulty = FaultyStripe(gateway(), lose_answers=1)
    with use_gateway(faulty), time_machine.travel(datetime(2026, 12, 25, tzinfo=UTC), tick=False):
        pledges_charge_due(today=date(2026, 12, 25))
    payment = Payment.objects.get(idempotency_key=f"pledge_{pledge.pk}_2026-12")
    assert payment.status == PaymentStatus.PENDING

    result = stripe_reconcile(since=datetime.now(UTC) - timedelta(hours=1))

    assert result.events_applied >= 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.events.get(status="succeeded").source == "stripe_sync"
    assert payment.stripe_payment_intent_id is not None
    assert stripe_reconcile(since=datetime.now(UTC) - timedelta(hours=1)).events_applied == 0


def test_a_suspended_pledge_is_resumed_by_paying_again_on_the_page(localstripe: str) -> None:
    pledge = monthly_pledge(localstripe)
    Pledge.objects.filter(pk=pledge.pk).update(status=PledgeStatus.SUSPENDED, failed_attempts=4)

    with time_machine.travel(datetime(2026, 12, 28, 9, 0, tzinfo=UTC), tick=False):
        payment = pay(localstripe, Pledge.objects.get(pk=pledge.pk))

    assert (payment.status, payment.period_date, payment.attempt) == (
        "succeeded",
        date(2026, 12, 1),
        1,
    )
    pledge.refresh_from_db()
    assert (pledge.status, pledge.failed_attempts) == (PledgeStatus.ACTIVE, 0)


class NoEvents(StripeGateway):
    """Stripe's event list no longer holds the event (older than its retention)."""

    def __init__(self, real: StripeGateway) -> None:
        self.__dict__.update(real.__dict__)

    def event_list(self, *, created_gte: int) -> list[Any]:
        return []


def test_reconciliation_recovers_from_the_payment_intent_list_too(localstripe: str) -> None:
    pledge = monthly_pledge(localstripe)
    faulty = FaultyStripe(gateway(), lose_answers=1)
    with use_gateway(faulty), time_machine.travel(datetime(2026, 12, 25, tzinfo=UTC), tick=False):
        pledges_charge_due(today=date(2026, 12, 25))
    payment = Payment.objects.get(idempotency_key=f"pledge_{pledge.pk}_2026-12")
    assert (payment.status, payment.stripe_payment_intent_id) == ("pending", None)

    with use_gateway(NoEvents(gateway())):
        result = stripe_reconcile(since=datetime.now(UTC) - timedelta(hours=1))

    assert (result.events_applied, result.payments_synced, result.claims_resumed) == (0, 1, 0)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.stripe_payment_intent_id is not None
    assert len(intents_of(localstripe, pledge.stripe_customer_id)) == 2


def test_the_reconciliation_task_is_a_thin_call(localstripe: str, settings: Any) -> None:
    pledge = monthly_pledge(localstripe)
    assert stripe_reconcile_recent()["payments_synced"] == 0
    settings.USE_STRIPE = False
    assert stripe_reconcile_recent() == {
        "events_applied": 0,
        "payments_synced": 0,
        "claims_resumed": 0,
    }
    assert charge_due_pledges() == {"charged": 0, "retried": 0}
    assert Payment.objects.filter(pledge=pledge).count() == 1


def test_beat_runs_the_monthly_charges_and_the_reconciliation() -> None:
    schedule = celery_app.conf.beat_schedule
    assert schedule["funds.charge_due_pledges"]["task"] == "funds.charge_due_pledges"
    assert schedule["funds.stripe_reconcile"]["task"] == "funds.stripe_reconcile"
    assert {"funds.charge_due_pledges", "funds.stripe_reconcile"} <= set(celery_app.tasks)


def _history(months: int) -> None:
    """Monthly pledges with `months` charged months each, a failed month that
    was retried successfully, and one exhausted month: nothing to retry."""
    for index in range(3):
        pledge = PledgeFactory.create(
            frequency=PledgeFrequency.MONTHLY,
            status=PledgeStatus.ACTIVE,
            stripe_payment_method_id=f"pm_history_{index}",
            next_charge_date=date(2030, 1, 1),
        )
        for month in range(months):
            period = date(2020 + month // 12, month % 12 + 1, 1)
            PaymentFactory.create(
                pledge=pledge, status=PaymentStatus.SUCCEEDED, period_date=period, attempt=1
            )
        failed = PaymentFactory.create(
            pledge=pledge, status=PaymentStatus.FAILED, period_date=date(2019, 1, 1), attempt=1
        )
        PaymentEventFactory.create(payment=failed, status=PaymentStatus.FAILED)
        PaymentFactory.create(
            pledge=pledge, status=PaymentStatus.SUCCEEDED, period_date=date(2019, 1, 1), attempt=2
        )
        for attempt in range(1, 5):
            exhausted = PaymentFactory.create(
                pledge=pledge,
                status=PaymentStatus.FAILED,
                period_date=date(2018, 1, 1),
                attempt=attempt,
            )
            PaymentEventFactory.create(payment=exhausted, status=PaymentStatus.FAILED)


@pytest.mark.parametrize("months", [2, 40])
def test_a_day_with_nothing_due_costs_the_same_queries_whatever_the_history(
    months: int, django_assert_num_queries: Any
) -> None:
    """The retry scan used to query every (pledge, month) ever charged."""
    _history(months)
    with django_assert_num_queries(2):
        run = pledges_charge_due(today=date(2027, 1, 20))
    assert (run.charged, run.retried) == (0, 0)


def test_the_daily_selections_are_served_by_their_partial_indexes() -> None:
    """What is due and what is due for retry are read through the indexes made
    for them (funds 0010, contributors 0008): a query that stopped matching an
    index's condition would scan every pledge or payment ever made."""
    need(is_postgresql(), "partial indexes and EXPLAIN plans are PostgreSQL's")
    _history(3)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    assert "pledge_monthly_due" in pledges_due(today=date(2027, 1, 20)).explain()
    assert "pledge_monthly_due" in pledges_due_batch(today=date(2027, 1, 20), after=0).explain()
    assert "payment_failed_months" in retry_candidates().explain()
