"""Writes of the shared plumbing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import F

from librery.models import LogEntry, WorkerHeartbeat


def log_action(
    *, action: str, obj: models.Model, actor: Any = None, data: dict[str, Any] | None = None
) -> LogEntry:
    """Append an audit entry; `action` is a dotted code such as ``projects.project.admitted``."""
    return LogEntry.objects.create(
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        object_type=obj._meta.label_lower,  # noqa: SLF001 -- Django's public API
        object_id=str(obj.pk),
        data=data or {},
    )


def worker_heartbeat_record(*, worker_name: str, at: datetime) -> WorkerHeartbeat:
    """Record that `worker_name` ran at `at`; safe under concurrent calls."""
    with transaction.atomic():
        heartbeat, created = WorkerHeartbeat.objects.select_for_update().get_or_create(
            worker_name=worker_name, defaults={"last_seen_at": at, "beats": 1}
        )
        if not created:
            WorkerHeartbeat.objects.filter(pk=heartbeat.pk).update(
                beats=F("beats") + 1, last_seen_at=at
            )
            heartbeat.refresh_from_db()
    return heartbeat


def worker_heartbeats_purge(*, older_than: datetime) -> int:
    deleted, _ = WorkerHeartbeat.objects.filter(last_seen_at__lt=older_than).delete()
    return deleted


def heartbeat_cutoff(*, now: datetime, days: int = 30) -> datetime:
    return now - timedelta(days=days)
