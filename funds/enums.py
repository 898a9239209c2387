from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FundSettingKey(models.TextChoices):
    """The fund's settings. Each one changes only through an adopted governance
    decision, from a given date; every value keeps the decision that set it."""

    EARMARK_CAP_BP = "earmark_cap_bp", _("Earmark cap (basis points)")
    MANAGEMENT_FEE_BP = "management_fee_bp", _("Management fee (basis points)")
    PAYOUT_THRESHOLD_CENTS = "payout_threshold_cents", _("Payout threshold (cents)")
    PLEDGE_MIN_CENTS = "pledge_min_cents", _("Minimum pledge (cents)")
    PLEDGE_MAX_CENTS = "pledge_max_cents", _("Maximum pledge (cents)")


# Value in force when no decision has set one (allocation.md, the contributions issue).
FUND_SETTING_DEFAULTS: dict[str, int] = {
    FundSettingKey.EARMARK_CAP_BP: 5000,
    FundSettingKey.MANAGEMENT_FEE_BP: 0,
    FundSettingKey.PAYOUT_THRESHOLD_CENTS: 5000,
    FundSettingKey.PLEDGE_MIN_CENTS: 100,
    FundSettingKey.PLEDGE_MAX_CENTS: 100_000_000,
}

# Inclusive bounds a value must respect, whatever decision sets it.
FUND_SETTING_BOUNDS: dict[str, tuple[int, int]] = {
    FundSettingKey.EARMARK_CAP_BP: (0, 10_000),
    FundSettingKey.MANAGEMENT_FEE_BP: (0, 10_000),
    FundSettingKey.PAYOUT_THRESHOLD_CENTS: (0, 10**12),
    FundSettingKey.PLEDGE_MIN_CENTS: (1, 10**12),
    FundSettingKey.PLEDGE_MAX_CENTS: (1, 10**12),
}
