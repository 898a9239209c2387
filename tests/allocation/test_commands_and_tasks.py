"""`manage.py allocate`, the monthly task and the resumption of a run left
`running` by a worker that died."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from allocation import tasks
from allocation.enums import RunStatus
from allocation.models import AllocationRun
from allocation.services import allocation_run_claim, allocation_runs_resume
from funds.enums import PaymentEventSource
from funds.services import payment_succeed
from projects.enums import ProjectStatus
from tests.factories import ProjectFactory
from tests.factories.contributors import EarmarkFactory, PledgeFactory
from tests.factories.funds import PaymentFactory
from tests.services import is_postgresql, need

pytestmark = [pytest.mark.integration]
AFTER_MARCH = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)


def _march_receipt() -> None:
    project = ProjectFactory.create(status=ProjectStatus.ADMITTED)
    pledge = PledgeFactory.create(amount_cents=12_345)
    EarmarkFactory.create(pledge=pledge, project=project, share_bp=5000)
    payment_succeed(
        payment=PaymentFactory.create(pledge=pledge),
        gross_cents=12_345,
        processor_fee_cents=45,
        received_at=datetime(2026, 3, 9, tzinfo=UTC),
        source=PaymentEventSource.STRIPE_WEBHOOK,
    )


@pytest.mark.django_db
def test_the_preview_prints_and_books_nothing() -> None:
    _march_receipt()
    out = StringIO()
    with time_machine.travel(AFTER_MARCH, tick=False):
        call_command("allocate", "--preview", stdout=out)
    assert out.getvalue().splitlines() == [
        "Preview of 2026-03 (nothing booked):",
        "  receipts          1",
        "  net               €123.00",
        "  fee               €0.00",
        "  earmarked         €61.50",
        "  to the pool       €61.50",
        "  pool shared       €0.00",
        "  pool carried out  €61.50",
    ]
    assert AllocationRun.objects.count() == 0


@pytest.mark.django_db
def test_allocate_books_the_month_and_says_so() -> None:
    _march_receipt()
    out = StringIO()
    with time_machine.travel(AFTER_MARCH, tick=False):
        call_command("allocate", "2026-03", stdout=out)
    run = AllocationRun.objects.get()
    lines = out.getvalue().splitlines()
    assert lines[0] == "Allocation 2026-03: computed"
    assert lines[2:4] == ["  net               €123.00", "  fee               €0.00"]
    assert lines[-1] == f"  document sha256   {run.document_sha256}"


@pytest.mark.django_db
def test_allocate_refuses_a_month_not_over() -> None:
    with (
        time_machine.travel(AFTER_MARCH, tick=False),
        pytest.raises(CommandError, match="not over"),
    ):
        call_command("allocate", "2026-04", stdout=StringIO())


@pytest.mark.django_db
def test_the_monthly_task_runs_the_previous_month() -> None:
    _march_receipt()
    with time_machine.travel(datetime(2026, 4, 1, 1, 0, tzinfo=UTC), tick=False):  # 03:00 Paris
        sha256 = tasks.run_month()
    run = AllocationRun.objects.get()
    assert (run.period, run.status, run.document_sha256) == ("2026-03", "computed", sha256)
    with time_machine.travel(datetime(2026, 4, 1, 1, 5, tzinfo=UTC), tick=False):
        assert tasks.run_month(period="2026-03") == sha256  # again: the same run


@pytest.mark.django_db
def test_a_run_left_running_starts_again() -> None:
    _march_receipt()
    run = allocation_run_claim(period="2026-03", at=AFTER_MARCH)  # and the worker died
    with time_machine.travel(AFTER_MARCH, tick=False):
        assert tasks.resume_runs() == ["2026-03"]
    run.refresh_from_db()
    assert (run.status, run.receipts_count) == (RunStatus.COMPUTED, 1)
    assert allocation_runs_resume(at=AFTER_MARCH) == []


@pytest.mark.django_db(transaction=True)
def test_a_run_a_live_worker_holds_is_not_started_twice() -> None:
    need(is_postgresql(), "row locks need PostgreSQL")
    _march_receipt()
    run = allocation_run_claim(period="2026-03", at=AFTER_MARCH)
    locked, release = threading.Event(), threading.Event()

    def live_worker() -> None:
        try:
            with transaction.atomic():
                AllocationRun.objects.select_for_update().get(pk=run.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    worker = threading.Thread(target=live_worker)
    worker.start()
    assert locked.wait(timeout=30)
    try:
        assert allocation_runs_resume(at=AFTER_MARCH) == []
    finally:
        release.set()
        worker.join()
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
