"""The mail task, for real: enqueued on Redis as JSON, run by a Celery worker in
another process, which renders it in the reader's language and sends it (the
console backend: the message shows in the worker's output)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from librery.tasks import send_mail_task
from tests import services
from tests.factories import UserFactory
from tests.workers import celery_worker

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
        "EMAIL_URL": "console://",  # the console backend prints each message
        "SITE_URL": "https://fund.example.org",
    }
    with output.open("w") as log, celery_worker(queue=queue, output=log, env=env) as worker:
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
        assert "Subject: [The Librery] Ballot open: Adopt the charter" in text, text
        assert f"To: {reader.email}" in text
        # The worker's output is logged as JSON: the quotes around the title are escaped there.
        assert "is open until March 5, 2026, 2 p.m. (Paris time)." in text
        assert f"Vote here: {expected}" in text
