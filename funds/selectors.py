"""Reads of the fund: settings in force."""

from __future__ import annotations

from datetime import datetime

from funds.enums import FUND_SETTING_DEFAULTS, FundSettingKey
from funds.models import FundSettingValue


def fund_setting_value(*, key: FundSettingKey | str, at: datetime) -> int:
    """The value of `key` in force at `at` (the default when no decision set one)."""
    value = (
        FundSettingValue.objects.filter(key=key, effective_at__lte=at)
        .order_by("-effective_at", "-id")
        .values_list("value", flat=True)
        .first()
    )
    return FUND_SETTING_DEFAULTS[FundSettingKey(key)] if value is None else value


def fund_settings_at(*, at: datetime) -> dict[str, int]:
    """Every setting's value in force at `at`, in two queries at most."""
    result = dict(FUND_SETTING_DEFAULTS)
    rows = FundSettingValue.objects.filter(effective_at__lte=at).order_by(
        "key", "-effective_at", "-id"
    )
    seen: set[str] = set()
    for row in rows.only("key", "value"):
        if row.key not in seen:
            seen.add(row.key)
            result[row.key] = row.value
    return result
