"""A real Celery worker on Redis, killed by SIGKILL in the middle of a run (the
run waits at a known point under LIBRERY_ALLOCATION_PAUSE_SECONDS), leaves
nothing; the periodic resumption on a new worker ends with the books of a clean
run. Also: the pause itself, in-process."""

from __future__ import annotations

import signal
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.test import override_settings

from allocation.arithmetic import project as destination
from allocation.enums import RunStatus
from allocation.models import AllocationRun, RunReceipt
from allocation.services import allocation_preview, pause_for_tests
from allocation.tasks import resume_runs, run_month
from funds.enums import JournalSource, PaymentEventSource
from funds.models import Journal
from funds.selectors import books_check, pool_balance_cents, project_balances_cents
from funds.services import payment_succeed
from projects.enums import ProjectStatus
from tests import services
from tests.factories import ProjectFactory
from tests.factories.contributors import EarmarkFactory, PledgeFactory
from tests.factories.funds import PaymentFactory
from tests.workers import celery_worker, wait_for

pytestmark = [pytest.mark.integration]


@override_settings(LIBRERY_ALLOCATION_PAUSE_SECONDS=0.05)
def test_the_pause_waits_only_when_asked() -> None:
    started = time.monotonic()
    pause_for_tests(period="2026-03")
    assert time.monotonic() - started >= 0.05


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_leaves_nothing_and_the_run_resumes(tmp_path: Path) -> None:
    services.need(services.redis_reachable(), "no Redis reachable (set REDIS_URL)")
    services.need(
        services.is_postgresql(),
        "a worker in another process needs the PostgreSQL test database (set DATABASE_URL)",
    )
    project = ProjectFactory.create(status=ProjectStatus.ADMITTED)
    for day in range(1, 8):
        pledge = PledgeFactory.create(amount_cents=1_111 * day)
        EarmarkFactory.create(pledge=pledge, project=project, share_bp=3333)
        payment_succeed(
            payment=PaymentFactory.create(pledge=pledge),
            gross_cents=1_111 * day,
            processor_fee_cents=day,
            received_at=datetime(2026, 3, day, tzinfo=UTC),
            source=PaymentEventSource.STRIPE_WEBHOOK,
        )
    clean = allocation_preview(period="2026-03")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    with (
        log.open("w") as output,
        celery_worker(
            queue=queue, output=output, env={"LIBRERY_ALLOCATION_PAUSE_SECONDS": "60"}
        ) as worker,
    ):
        run_month.apply_async(kwargs={"period": "2026-03"}, queue=queue)
        wait_for(lambda: "allocation.run.paused" in log.read_text(), 60, "the run to pause")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=20)
    # The killed transaction left the claimed row, running, and nothing else.
    run = AllocationRun.objects.get(period="2026-03")
    assert run.status == RunStatus.RUNNING
    assert RunReceipt.objects.count() == 0
    assert not Journal.objects.filter(source=JournalSource.ALLOCATION).exists()

    with log.open("a") as output, celery_worker(queue=queue, output=output) as worker:
        resume_runs.apply_async(queue=queue)
        wait_for(
            lambda: AllocationRun.objects.filter(status=RunStatus.COMPUTED).exists()
            or worker.poll() is not None,
            60,
            "the run to be resumed",
        )
    run.refresh_from_db()
    assert run.status == RunStatus.COMPUTED, log.read_text()
    assert (run.receipts_count, run.net_cents, run.pool_in_cents) == (
        clean.receipts_count,
        clean.net_cents,
        clean.pool_in_cents,
    )
    assert project_balances_cents() == {project.pk: clean.cents(destination(project.pk))}
    assert pool_balance_cents() == clean.pool_carried_out_cents
    assert Journal.objects.filter(source=JournalSource.ALLOCATION).count() == 1
    assert books_check() == []
