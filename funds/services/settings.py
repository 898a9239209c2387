"""Fund settings: values set by adopted governance decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from funds.enums import (
    FUND_SETTING_BOUNDS,
    FundSettingKey,
)
from funds.errors import FundsError
from funds.models import (
    FundSettingValue,
)
from librery.services import log_action


class FundSettingError(FundsError, ValueError):
    """A fund setting value that cannot be recorded; the message says why."""


def fund_setting_change(
    *,
    key: FundSettingKey | str,
    value: int,
    effective_at: datetime,
    decision_reference: str,
    actor: Any = None,
) -> FundSettingValue:
    """Record a new value of a fund setting, set by an adopted decision.

    Only governance (an adopted motion's effect) calls this; the value applies
    from `effective_at` on. Replaying the same change is a no-op."""
    try:
        setting = FundSettingKey(key)
    except ValueError:
        raise FundSettingError(f"Unknown fund setting {key!r}.") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise FundSettingError(f"{setting.value} must be a whole number.")
    low, high = FUND_SETTING_BOUNDS[setting]
    if not low <= value <= high:
        raise FundSettingError(f"{setting.value} must be between {low} and {high}, not {value}.")
    if not decision_reference.strip():
        raise FundSettingError("A fund setting changes only through a recorded decision.")
    with transaction.atomic():
        existing = (
            FundSettingValue.objects.select_for_update()
            .filter(key=setting, effective_at=effective_at)
            .first()
        )
        if existing is not None:
            if existing.value == value and existing.decision_reference == decision_reference:
                return existing
            raise FundSettingError(
                f"{setting.value} already has a value from {effective_at:%Y-%m-%d %H:%M}."
            )
        row = FundSettingValue.objects.create(
            key=setting,
            value=value,
            effective_at=effective_at,
            decision_reference=decision_reference.strip(),
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        log_action(
            action="funds.setting.changed",
            obj=row,
            actor=actor,
            data={"key": setting.value, "value": value, "decision": row.decision_reference},
        )
    return row
