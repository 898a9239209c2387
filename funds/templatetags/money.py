"""Template filters for money: integer cents shown as euros."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from funds.enums import FundSettingKey
from funds.money import format_money, format_number, format_percent_bp

register = template.Library()


@register.filter
def euros(cents: int | None) -> str:
    """``123456`` -> ``1 234,56 €`` in French, ``€1,234.56`` in English (`format_money`)."""
    if cents is None:
        return ""
    return format_money(cents)


@register.filter
def percent_bp(bp: int | None) -> str:
    """Basis points as a percentage: ``3000`` -> ``30 %``, ``1250`` -> ``12.5 %``,
    ``12,5 %`` in French with a no-break space (`format_percent_bp`)."""
    if bp is None:
        return ""
    return format_percent_bp(bp)


@register.filter
def grouped(value: int | None) -> str:
    """A whole number with its thousands grouped: ``5100`` -> ``5 100`` in French."""
    if value is None:
        return ""
    return format_number(value)


# A fund setting's name as a sentence says it; its value is shown in its unit.
SETTING_NAMES: dict[str, object] = {
    FundSettingKey.EARMARK_CAP_BP: _("Earmark cap"),
    FundSettingKey.MANAGEMENT_FEE_BP: _("Management fee"),
    FundSettingKey.PAYOUT_THRESHOLD_CENTS: _("Payout threshold"),
    FundSettingKey.PLEDGE_MIN_CENTS: _("Minimum pledge"),
    FundSettingKey.PLEDGE_MAX_CENTS: _("Maximum pledge"),
}


@register.filter
def setting_name(key: str) -> str:
    """``"pledge_max_cents"`` -> ``Maximum pledge``; an unknown key as it is."""
    return str(SETTING_NAMES.get(key, key))


@register.filter
def setting_value(value: int | None, key: str) -> str:
    """A fund setting's value in its unit: cents as money, basis points as a
    percentage (``100000000`` of ``pledge_max_cents`` -> ``1 000 000,00 €``)."""
    if value is None:
        return ""
    if key.endswith("_cents"):
        return format_money(value)
    if key.endswith("_bp"):
        return format_percent_bp(value)
    return format_number(value)
