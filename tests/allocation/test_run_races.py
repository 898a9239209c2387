"""Two workers starting the same month at once end with one run (PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest
from django.db import connection

from allocation.enums import RunStatus
from allocation.models import AllocationRun, RunReceipt
from allocation.services import allocation_run_claim, allocation_run_execute
from allocation.services import runs as run_services
from funds.enums import JournalSource, PaymentEventSource
from funds.models import Journal
from funds.selectors import books_check, project_balances_cents
from funds.services import payment_succeed
from projects.enums import ProjectStatus
from tests.factories import ProjectFactory
from tests.factories.contributors import EarmarkFactory, PledgeFactory
from tests.factories.funds import PaymentFactory
from tests.services import is_postgresql, need

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
AFTER_MARCH = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)


def test_eight_workers_starting_march_at_once_make_one_run() -> None:
    need(is_postgresql(), "row locks and unique races need PostgreSQL")
    project = ProjectFactory.create(status=ProjectStatus.ADMITTED)
    for day in range(1, 6):
        pledge = PledgeFactory.create(amount_cents=1_000)
        EarmarkFactory.create(pledge=pledge, project=project, share_bp=2500)
        payment_succeed(
            payment=PaymentFactory.create(pledge=pledge),
            gross_cents=1_000,
            processor_fee_cents=0,
            received_at=datetime(2026, 3, day, tzinfo=UTC),
            source=PaymentEventSource.STRIPE_WEBHOOK,
        )

    def start(_index: int) -> tuple[int, str]:
        try:
            run = allocation_run_claim(period="2026-03", at=AFTER_MARCH)
            done = allocation_run_execute(run=run, at=AFTER_MARCH)
            return done.pk, done.document_sha256
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(start, range(8)))
    assert len(set(results)) == 1
    assert AllocationRun.objects.get().status == RunStatus.COMPUTED
    assert RunReceipt.objects.count() == 5
    assert Journal.objects.filter(source=JournalSource.ALLOCATION).count() == 1
    assert project_balances_cents() == {project.pk: 1_250}
    assert books_check() == []


def test_two_workers_past_the_first_look_both_insert_and_one_takes_the_other_s_run() -> None:
    """Both workers find no run, then both insert: the unique period refuses
    the second, which returns the first's run (a barrier makes the race sure)."""
    need(is_postgresql(), "unique races need PostgreSQL")
    both_looked = threading.Barrier(2, timeout=10)
    inputs = run_services.run_inputs

    def run_inputs_after_both_looked(**kwargs: Any) -> Any:
        both_looked.wait()
        return inputs(**kwargs)

    def claim(_index: int) -> int:
        try:
            return allocation_run_claim(period="2026-03", at=AFTER_MARCH).pk
        finally:
            connection.close()

    with (
        mock.patch.object(run_services, "run_inputs", run_inputs_after_both_looked),
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        claimed = list(pool.map(claim, range(2)))
    run = AllocationRun.objects.get()
    assert claimed == [run.pk, run.pk]
    assert run.status == RunStatus.RUNNING
