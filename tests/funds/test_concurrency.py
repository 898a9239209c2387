"""Races on PostgreSQL: the same event posted at once books once; payment
request numbers stay without gaps under concurrent issuing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection

from contributors.models import Pledge
from funds.enums import AccountKind, JournalSource
from funds.models import Journal, JournalLeg, PaymentRequest
from funds.selectors import pool_balance_cents
from funds.services import journal_post, ledger_account, payment_request_issue, pledge_create
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
