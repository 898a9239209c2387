"""The manifest fetch, for real: a page's request is run by a Celery worker
process on Redis, and its outcome shows in the database (issue 9, finding 11)."""

from __future__ import annotations

import subprocess
import time
import uuid
from typing import Any
from unittest import mock

import pytest
from django.utils import translation

from contributors.models import User
from projects import services
from projects.enums import FETCH_FINAL_STATUSES, FetchStatus
from projects.models import FundingEntity, FundingManifestFetch
from projects.tasks import manifest_fetch_run_task
from tests import services as test_services
from tests.projects.conftest import FUNDING_JSON_DIR, LocalServer
from tests.workers import celery_worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_runs_the_fetch_a_page_asked_for(
    outsider_user: User, local_server: LocalServer
) -> None:
    test_services.need(test_services.redis_reachable(), "no Redis reachable (set REDIS_URL)")
    test_services.need(
        test_services.is_postgresql(),
        "a worker in another process needs the PostgreSQL test database (set DATABASE_URL)",
    )
    url = local_server.serve("/funding.json", (FUNDING_JSON_DIR / "ddev__ddev.json").read_bytes())
    queue = f"test-{uuid.uuid4().hex[:8]}"
    send = manifest_fetch_run_task.apply_async

    def on_our_queue(*args: Any, **kwargs: Any) -> Any:
        return send(*args, **{**kwargs, "queue": queue})

    with (
        celery_worker(queue=queue, output=subprocess.PIPE) as worker,
        mock.patch.object(manifest_fetch_run_task, "apply_async", on_our_queue),
    ):
        with translation.override("en"):  # the language of the person who asked
            fetch = services.manifest_fetch_request(url=url, actor=outsider_user)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            fetch.refresh_from_db()
            if fetch.status in FETCH_FINAL_STATUSES or worker.poll() is not None:
                break
            time.sleep(0.2)
        assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
    # The worker runs with production settings: loopback is refused there, so
    # the outcome is a refusal recorded by the worker, and nothing imported.
    assert fetch.status == FetchStatus.FAILED
    assert fetch.error == "The host 127.0.0.1 is on a private or reserved network: refused."
    assert local_server.hits == []
    assert FundingEntity.objects.count() == 0
    assert FundingManifestFetch.objects.count() == 1
