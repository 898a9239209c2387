"""Thin tasks of the shared plumbing: ids in, one service call, log."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.utils import timezone

from librery import services

logger = logging.getLogger(__name__)


@shared_task(name="librery.worker_heartbeat", queue="default")
def worker_heartbeat(*, worker_name: str, **kwargs: Any) -> int:
    heartbeat = services.worker_heartbeat_record(worker_name=worker_name, at=timezone.now())
    logger.info("librery.worker.heartbeat", extra={"worker": worker_name, "beats": heartbeat.beats})
    return heartbeat.beats


@shared_task(name="librery.purge_old_heartbeats", queue="default")
def purge_old_heartbeats(**kwargs: Any) -> int:
    cutoff = services.heartbeat_cutoff(now=timezone.now())
    return services.worker_heartbeats_purge(older_than=cutoff)
