from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from librery.models import LogEntry, PublicationEntry, WorkerHeartbeat


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin[LogEntry]):
    """The audit trail: read-only, for everyone, always."""

    list_display = ["created_at", "action", "object_type", "object_id", "actor"]
    list_filter = ["action", "object_type"]
    search_fields = ["action", "object_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LogEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: LogEntry | None = None) -> bool:
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin[WorkerHeartbeat]):
    list_display = ["worker_name", "last_seen_at", "beats"]
    readonly_fields = ["worker_name", "last_seen_at", "beats"]


@admin.register(PublicationEntry)
class PublicationEntryAdmin(admin.ModelAdmin[PublicationEntry]):
    """The publication log: read-only, for everyone, always (the services append)."""

    list_display = ["position", "kind", "reference", "published_at", "entry_hash"]
    list_filter = ["kind"]
    search_fields = ["reference", "sha256", "entry_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: PublicationEntry | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: PublicationEntry | None = None
    ) -> bool:
        return False
