from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from funds.models import FundSettingValue


@admin.register(FundSettingValue)
class FundSettingValueAdmin(admin.ModelAdmin[FundSettingValue]):
    """Read-only: settings change only through governance decisions."""

    list_display = ["key", "value", "effective_at", "decision_reference", "created_at"]
    list_filter = ["key"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: FundSettingValue | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: FundSettingValue | None = None
    ) -> bool:
        return False
