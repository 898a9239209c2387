"""Template filters for money: integer cents shown as euros."""

from __future__ import annotations

from django import template
from django.utils.formats import get_format

from funds.money import format_money

register = template.Library()


@register.filter
def euros(cents: int | None) -> str:
    """``123456`` -> ``1 234,56 €`` in French, ``€1,234.56`` in English (`format_money`)."""
    if cents is None:
        return ""
    return format_money(cents)


def _decimal_separator() -> str:
    return str(get_format("DECIMAL_SEPARATOR"))


@register.filter
def percent_bp(bp: int | None) -> str:
    """Basis points as a percentage: ``3000`` -> ``30 %``, ``1250`` -> ``12.5 %``."""
    if bp is None:
        return ""
    whole, part = divmod(int(bp), 100)
    text = str(whole) if part == 0 else f"{whole}{_decimal_separator()}{part:02d}".rstrip("0")
    return f"{text} %"
