"""Races on PostgreSQL: the same event posted at once books once; payment
request numbers stay without gaps under concurrent issuing."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
from django.db import connection, transaction

from contributors.enums import PledgeFrequency, PledgeStatus
from contributors.models import Pledge
from funds.enums import AccountKind, JournalSource, PaymentMethod
from funds.models import Account, Journal, JournalLeg, Payment, PaymentRequest
from funds.selectors import pool_balance_cents
from funds.services import (
    journal_post,
    ledger_account,
    payment_create,
    payment_request_issue,
    pledge_create,
)
from funds.stripe.renewals import ChargeRun, pledges_charge_due
from tests.factories import ContributorFactory
from tests.factories.contributors import PledgeFactory
from tests.services import is_postgresql, need

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
WORKERS = 8


def _in_threads(function: Callable[[int], Any], count: int) -> list[Any]:
    def run(index: int) -> Any:
        try:
            return function(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(run, range(count)))


def test_same_event_posted_concurrently_books_once() -> None:
    need(is_postgresql(), "row locks and unique races need PostgreSQL")
    pool, unallocated = (
        ledger_account(kind=AccountKind.POOL),
        ledger_account(kind=AccountKind.UNALLOCATED),
    )

    def post(_index: int) -> int:
        return journal_post(
            source=JournalSource.ALLOCATION,
            external_id="run-2026-03",
            memo="race",
            legs=[(unallocated, 1000), (pool, -1000)],
        ).pk

    ids = _in_threads(post, 16)
    assert len(set(ids)) == 1
    assert Journal.objects.count() == 1
    assert JournalLeg.objects.count() == 2
    assert pool_balance_cents() == 1000


def test_concurrent_requests_are_numbered_without_gaps() -> None:
    need(is_postgresql(), "row locks need PostgreSQL")
    pledges = [PledgeFactory.create(payment_method="bank_transfer") for _ in range(12)]
    _in_threads(lambda index: payment_request_issue(pledge=pledges[index]).pk, len(pledges))
    sequences = sorted(PaymentRequest.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, 13))


def test_double_submitted_pledge_form_creates_one_pledge() -> None:
    need(is_postgresql(), "unique races need PostgreSQL")
    contributor = ContributorFactory.create()
    token = uuid.uuid4()

    def submit(_index: int) -> int:
        return pledge_create(
            contributor=contributor,
            actor=contributor.user,  # type: ignore[arg-type]
            frequency="one_time",
            amount_cents=5000,
            payment_method="bank_transfer",
            earmarks=[],
            idempotency_token=token,
        ).pk

    assert len(set(_in_threads(submit, 8))) == 1
    assert Pledge.objects.count() == 1
    assert PaymentRequest.objects.count() == 1


def _while_held(hold: Callable[[], Any], then: Callable[[], Any]) -> tuple[Any, Any]:
    """`hold` runs in a transaction kept open a second after it wrote; `then`
    starts once it wrote, so it misses the row, then waits on it."""
    wrote = threading.Event()

    def run(index: int) -> Any:
        if index == 0:
            with transaction.atomic():
                result = hold()
                wrote.set()
                time.sleep(1.0)
            return result
        assert wrote.wait(10)
        return then()

    first, second = _in_threads(run, 2)
    return first, second


def test_a_payment_key_taken_meanwhile_answers_with_that_payment() -> None:
    need(is_postgresql(), "unique races need PostgreSQL")
    pledge = PledgeFactory.create()

    def create() -> int:
        return payment_create(
            pledge=pledge, method=PaymentMethod.CARD, amount_cents=5000, idempotency_key="race"
        ).pk

    held, then = _while_held(create, create)
    assert held == then
    assert Payment.objects.count() == 1


def test_a_ledger_account_created_meanwhile_is_that_account() -> None:
    need(is_postgresql(), "unique races need PostgreSQL")

    def account() -> int:
        return ledger_account(kind=AccountKind.OPERATING).pk

    held, then = _while_held(account, account)
    assert held == then
    assert Account.objects.filter(kind=AccountKind.OPERATING).count() == 1


def test_a_month_charged_meanwhile_is_not_charged_again() -> None:
    need(is_postgresql(), "row locks need PostgreSQL")
    pledge = PledgeFactory.create(
        frequency=PledgeFrequency.MONTHLY,
        status=PledgeStatus.ACTIVE,
        stripe_customer_id="cus_1",
        stripe_payment_method_id="pm_1",
        next_charge_date=date(2027, 1, 25),
    )

    def charged_elsewhere() -> None:
        Pledge.objects.select_for_update().filter(pk=pledge.pk).update(
            next_charge_date=date(2027, 2, 25)
        )

    def charge() -> ChargeRun:
        return pledges_charge_due(today=date(2027, 1, 25))

    _held, run = _while_held(charged_elsewhere, charge)
    assert run == ChargeRun(charged=0, retried=0)
    assert Payment.objects.filter(pledge=pledge).count() == 0
