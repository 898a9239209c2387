from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from librery import services

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_healthz_reports_database_broker_and_worker(anonymous: Client) -> None:
    response = anonymous.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"status": "ok", "vendor": connection.vendor}
    assert body["broker"]["status"] in {"ok", "eager"}
    assert body["worker"] == {"last_seen_at": None}


def test_healthz_shows_the_last_worker_heartbeat(anonymous: Client) -> None:
    at = timezone.now().replace(microsecond=0)
    services.worker_heartbeat_record(worker_name="w1", at=at)
    body = anonymous.get("/healthz").json()
    assert body["worker"]["last_seen_at"] == at.isoformat()


def test_heartbeat_counts_beats_and_purge_removes_old_ones() -> None:
    now = timezone.now()
    services.worker_heartbeat_record(worker_name="w1", at=now)
    beat = services.worker_heartbeat_record(worker_name="w1", at=now)
    assert beat.beats == 2
    services.worker_heartbeat_record(worker_name="old", at=now - timedelta(days=40))
    assert services.worker_heartbeats_purge(older_than=services.heartbeat_cutoff(now=now)) == 1
