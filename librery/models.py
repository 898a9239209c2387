"""Shared plumbing models: the audit trail, the workers' heartbeat and the
publication log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LogEntry(models.Model):
    """One audited action: who did what to which object (append-only)."""

    action = models.CharField(_("action"), max_length=100, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("log entry")
        verbose_name_plural = _("log entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker (or beat through it) ran a task; /healthz reads it."""

    worker_name = models.CharField(_("worker"), max_length=200, unique=True)
    beats = models.PositiveBigIntegerField(_("beats"), default=0)
    last_seen_at = models.DateTimeField(_("last seen at"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.worker_name} @ {self.last_seen_at:%Y-%m-%d %H:%M:%S}"


class PublicationKind(models.TextChoices):
    BALLOT = "governance.ballot", _("released ballot")
    ALLOCATION_RUN = "allocation.run", _("monthly allocation")


class PublicationEntry(models.Model):
    """One entry of the publication log: what the platform published (a released
    ballot's bundle, a month's allocation document), its hash, and the hash of
    the entry before it. Append-only (a trigger refuses UPDATE and DELETE on
    PostgreSQL); `verify.py log` recomputes the chain."""

    position = models.PositiveBigIntegerField(_("position"), unique=True)
    kind = models.CharField(_("kind"), max_length=40, choices=PublicationKind.choices)
    reference = models.CharField(_("reference"), max_length=100)
    url = models.CharField(_("document address"), max_length=300)
    sha256 = models.CharField(_("document SHA-256"), max_length=64)
    previous_hash = models.CharField(_("previous entry's hash"), max_length=64)
    entry_hash = models.CharField(_("entry hash"), max_length=64, unique=True)
    published_at = models.DateTimeField(_("published at"))

    class Meta:
        verbose_name = _("publication log entry")
        verbose_name_plural = _("publication log entries")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "reference"], name="publication_once"),
            models.CheckConstraint(
                condition=models.Q(position__gte=1), name="publication_position_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.kind} {self.reference}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("The publication log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("The publication log is append-only.")
