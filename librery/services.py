"""Writes of the shared plumbing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F

from librery.models import LogEntry, PublicationEntry, PublicationKind, WorkerHeartbeat
from librery.publication import GENESIS_HASH, publication_entry_hash, publication_fields
from librery.rows import rows_write


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


def log_actions(
    *, entries: Iterable[tuple[str, models.Model, dict[str, Any]]], actor: Any = None
) -> None:
    """Append many audit entries (`action`, object, data) in one statement, as
    `log_action` writes each (a batch of a bank statement books hundreds)."""
    author = actor.pk if getattr(actor, "is_authenticated", False) else None
    rows_write(
        LogEntry,
        ("action", "actor_id", "object_type", "object_id", "data"),
        (
            (action, author, obj._meta.label_lower, str(obj.pk), data)  # noqa: SLF001 -- public API
            for action, obj, data in entries
        ),
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


# --- The publication log --------------------------------------------------------

# The key of the PostgreSQL advisory lock that serialises appends ("LIBRERY" in ASCII).
PUBLICATION_LOCK_KEY = 0x4C49425245525900


class PublicationError(Exception):
    """The same document reference is already in the log with another hash."""


def _lock_publication_log() -> None:
    """Serialise appends, so that each entry chains to the one before it, even
    the first (there is no head row to lock yet). SQLite writes one at a time."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PUBLICATION_LOCK_KEY])


def publication_append(
    *, kind: PublicationKind | str, reference: str, url: str, sha256: str, at: datetime
) -> PublicationEntry:
    """Append what was just published (`url`: its unprefixed public path, `sha256`:
    the hash of its bytes) to the publication log, chained to the head. Appending
    the same document again returns its entry; the same reference with another
    hash is refused (the log is never rewritten)."""
    kind = PublicationKind(kind)
    with transaction.atomic():
        _lock_publication_log()
        existing = PublicationEntry.objects.filter(kind=kind, reference=reference).first()
        if existing is not None:
            if existing.sha256 != sha256:
                raise PublicationError(f"{kind} {reference} is already published with another hash")
            return existing
        head = PublicationEntry.objects.order_by("-position").first()
        entry = PublicationEntry(
            position=head.position + 1 if head is not None else 1,
            kind=kind,
            reference=reference,
            url=url,
            sha256=sha256,
            previous_hash=head.entry_hash if head is not None else GENESIS_HASH,
            published_at=at,
        )
        entry.entry_hash = publication_entry_hash(publication_fields(entry))
        entry.save()
        log_action(
            action="librery.publication.appended",
            obj=entry,
            data={"kind": kind.value, "reference": reference, "sha256": sha256},
        )
    return entry
