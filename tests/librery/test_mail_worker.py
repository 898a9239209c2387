"""The mail task, for real: enqueued on Redis as JSON, run by a Celery worker in
another process, which renders it in the reader's language and sends it (the
console backend: the message shows in the worker's output)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from librery.tasks import send_mail_task
from tests import services
from tests.factories import UserFactory
from tests.librery.test_celery_worker import _database_url_of_the_test_database

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def test_a_real_worker_sends_the_mail_in_the_reader_s_language(tmp_path: Path) -> None:
    services.need(services.redis_reachable(), "no Redis reachable (set REDIS_URL)")
    services.need(
        services.is_postgresql(),
        "a worker in another process needs the PostgreSQL test database (set DATABASE_URL)",
    )
    reader = UserFactory.create(language="en")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    output = tmp_path / "worker.log"
    env = {
        **{name: value for name, value in os.environ.items() if name != "EMAIL_URL"},
        # No EMAIL_URL: the console backend prints each message.
        "DJANGO_SETTINGS_MODULE": "librery.settings.base",
        "DATABASE_URL": _database_url_of_the_test_database(),
        "REDIS_URL": settings.REDIS_URL or "",
        "SITE_URL": "https://fund.example.org",
    }
    with output.open("w") as log:
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
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        send_mail_task.apply_async(
            kwargs={
                "template": "governance/email/ballot_opened",
                "recipient": reader.pk,
                "context": {"title": "Adopt the charter", "closes_at": "2026-03-05T13:00:00+00:00"},
                "links": {"url": ["governance:ballot", [12]]},
            },
            queue=queue,
        )
        expected = "https://fund.example.org/en/governance/portal/ballots/12/"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            if expected in output.read_text():
                break
            time.sleep(0.2)
        text = output.read_text()
        assert worker.poll() is None, text
        assert "Subject: Ballot open: Adopt the charter" in text, text
        assert f"To: {reader.email}" in text
        assert f"A ballot is open until March 5, 2026, 2 p.m.. Vote here: {expected}" in text
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
