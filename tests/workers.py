"""Real Celery workers for the queue tests: a worker process on the Redis broker
and the PostgreSQL test database, on a queue of its own, stopped (or killed by
the test) when the block ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def database_url_of_the_test_database() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return (
        f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


@contextmanager
def celery_worker(
    *, queue: str, output: IO[str] | int, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """A solo worker consuming `queue`, its output to `output` (a file, or
    `subprocess.PIPE`); `env` adds to or overrides the environment."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "librery.settings.base",
        "DATABASE_URL": database_url_of_the_test_database(),
        "REDIS_URL": settings.REDIS_URL or "",
        **(env or {}),
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
        env=environment,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        if worker.stdout is not None:
            worker.stdout.close()


def wait_for(condition: Callable[[], object], seconds: float, what: str) -> None:
    """Poll `condition` until it holds, or fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s: {what}")
