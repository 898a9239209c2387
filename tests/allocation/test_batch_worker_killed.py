"""A real Celery worker on Redis, killed by SIGKILL in the middle of making a
payout batch (it waits inside its transaction under
LIBRERY_ALLOCATION_PAUSE_SECONDS), leaves nothing; the periodic resumption on
a new worker makes the batch once: one payout per project, the books of a
clean run."""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

import pytest
from django.test import override_settings

from allocation import tasks
from allocation.models import Payout, PayoutBatch
from allocation.services import disbursement_report
from allocation.services.payouts import pause_for_tests
from funds.enums import AccountKind, JournalSource
from funds.models import Journal
from funds.selectors import account_balance_cents, books_check, project_balances_cents
from tests import services
from tests.allocation.disbursement import approve, computed_month, make_admin
from tests.tasks import queued_tasks
from tests.workers import celery_worker, wait_for

pytestmark = [pytest.mark.integration]


@override_settings(LIBRERY_ALLOCATION_PAUSE_SECONDS=0.05)
def test_the_batch_pause_waits_only_when_asked() -> None:
    started = time.monotonic()
    pause_for_tests()
    assert time.monotonic() - started >= 0.05


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_leaves_nothing_and_the_batch_resumes(tmp_path: Path) -> None:
    services.need(services.redis_reachable(), "no Redis reachable (set REDIS_URL)")
    services.need(
        services.is_postgresql(),
        "a worker in another process needs the PostgreSQL test database (set DATABASE_URL)",
    )
    month = computed_month()
    with queued_tasks(tasks.create_payout_batch, run=False) as queued:
        approve(make_admin("Ada Admin", "ada@example.org"), month.run)
        approve(make_admin("Bob Admin", "bob@example.org"), month.run)
    assert queued == [{"run_id": month.run.pk}]
    expected = {
        line["project_id"]: line["proposed_payout_cents"]
        for line in disbursement_report(run=month.run).payouts
    }
    before = project_balances_cents()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    with (
        log.open("w") as output,
        celery_worker(
            queue=queue, output=output, env={"LIBRERY_ALLOCATION_PAUSE_SECONDS": "60"}
        ) as worker,
    ):
        tasks.create_payout_batch.apply_async(kwargs=queued[0], queue=queue)
        wait_for(lambda: "allocation.batch.paused" in log.read_text(), 60, "the batch to pause")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=20)
    # The killed transaction left nothing.
    assert not PayoutBatch.objects.exists()
    assert not Payout.objects.exists()
    assert not Journal.objects.filter(source=JournalSource.PAYOUT).exists()
    assert project_balances_cents() == before

    with log.open("a") as output, celery_worker(queue=queue, output=output) as worker:
        tasks.resume_batches.apply_async(queue=queue)
        wait_for(
            lambda: PayoutBatch.objects.exists() or worker.poll() is not None,
            60,
            "the batch to be made",
        )
        # The first task, delivered again, finds the batch and makes nothing more.
        tasks.create_payout_batch.apply_async(kwargs=queued[0], queue=queue)
        tasks.resume_batches.apply_async(queue=queue)
        time.sleep(2)
    batch = PayoutBatch.objects.get()
    assert dict(batch.payouts.values_list("project_id", "amount_cents")) == expected
    assert Journal.objects.filter(source=JournalSource.PAYOUT).count() == 1
    after = project_balances_cents()
    assert after == {pk: cents - expected.get(pk, 0) for pk, cents in before.items()}
    assert account_balance_cents(kind=AccountKind.PAYOUTS) == -sum(expected.values())
    assert books_check() == []
