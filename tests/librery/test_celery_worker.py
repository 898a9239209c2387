"""The queue, for real: a Celery worker process on Redis runs a task and its
effect shows in the database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from librery.models import WorkerHeartbeat
from librery.tasks import worker_heartbeat
from tests import services

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _database_url_of_the_test_database() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return (
        f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def test_a_real_worker_runs_a_task_from_redis() -> None:
    services.need(services.redis_reachable(), "no Redis reachable (set REDIS_URL)")
    services.need(
        services.is_postgresql(),
        "a worker in another process needs the PostgreSQL test database (set DATABASE_URL)",
    )
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "librery.settings.base",
        "DATABASE_URL": _database_url_of_the_test_database(),
        "REDIS_URL": settings.REDIS_URL or "",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "librery",
            "worker",
            "--pool",
            "solo",
            "--queues",
            queue,
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
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
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        if worker.stdout is not None:
            worker.stdout.close()
