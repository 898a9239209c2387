"""Reads of the shared plumbing: the health of the platform's dependencies and
the publication log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection

from librery.models import PublicationEntry, WorkerHeartbeat
from librery.publication import publication_fields


@dataclass(frozen=True)
class Health:
    database: str
    database_vendor: str
    broker: str
    broker_kind: str
    worker_last_seen_at: datetime | None

    @property
    def ok(self) -> bool:
        return self.database == "ok" and self.broker in {"ok", "eager"}


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 -- any failure is reported, not raised
        return f"error: {type(exc).__name__}"
    return "ok"


def broker_status() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER or settings.CELERY_BROKER_URL.startswith("memory://"):
        return "eager"
    from librery.celery import app  # noqa: PLC0415 -- only when a broker is configured

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001 -- any failure is reported, not raised
        return f"error: {type(exc).__name__}"
    return "ok"


def health() -> Health:
    db = database_status()
    last_seen = None
    if db == "ok":
        last_seen = (
            WorkerHeartbeat.objects.order_by("-last_seen_at")
            .values_list("last_seen_at", flat=True)
            .first()
        )
    return Health(
        database=db,
        database_vendor=connection.vendor,
        broker=broker_status(),
        broker_kind="redis" if settings.REDIS_URL else "in-process (eager)",
        worker_last_seen_at=last_seen,
    )


# --- The publication log --------------------------------------------------------

LOG_PAGE_SIZE = 100


def publication_head() -> PublicationEntry | None:
    """The log's last entry: its hash vouches for every entry before it."""
    return PublicationEntry.objects.order_by("-position").first()


def publication_entry_json(entry: PublicationEntry) -> dict[str, Any]:
    return {**publication_fields(entry), "entry_hash": entry.entry_hash}


@dataclass(frozen=True)
class PublicationPage:
    number: int
    pages: int
    count: int
    head: PublicationEntry | None
    entries: list[dict[str, Any]]


def publication_page(*, number: int, size: int = 0) -> PublicationPage | None:
    """Page `number` (from 1) of the log, oldest first; None past the last page.
    A full page never changes: later entries only ever add pages."""
    size = size or LOG_PAGE_SIZE
    head = publication_head()
    count = head.position if head is not None else 0
    pages = max(1, -(-count // size))
    if not 1 <= number <= pages:
        return None
    rows = PublicationEntry.objects.filter(
        position__gt=(number - 1) * size, position__lte=number * size
    ).order_by("position")
    return PublicationPage(
        number=number,
        pages=pages,
        count=count,
        head=head,
        entries=[publication_entry_json(entry) for entry in rows],
    )
