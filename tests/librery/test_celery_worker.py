"""The queue, for real: a Celery worker process on Redis runs a task and its
effect shows in the database."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import pytest

from librery.models import WorkerHeartbeat
from librery.tasks import worker_heartbeat
from tests import services
from tests.workers import celery_worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def test_a_real_worker_runs_a_task_from_redis() -> None:
    services.need(services.redis_reachable(), "no Redis reachable (set REDIS_URL)")
    services.need(
        services.is_postgresql(),
        "a worker in another process needs the PostgreSQL test database (set DATABASE_URL)",
    )
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with celery_worker(queue=queue, output=subprocess.PIPE) as worker:
        name = f"pytest-{queue}"
        worker_heartbeat.apply_async(kwargs={"worker_name": name}, queue=queue)
        worker_heartbeat.apply_async(kwargs={"worker_name": name}, queue=queue)
        deadline = time.monotonic() + 60
        beat = None
        while time.monotonic() < deadline:
            beat = WorkerHeartbeat.objects.filter(worker_name=name, beats=2).first()
            if beat is not None or worker.poll() is not None:
                break
            time.sleep(0.2)
        assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
        assert beat is not None, "the worker did not run both tasks within 60 s"
        assert beat.beats == 2
