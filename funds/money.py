"""Integer cents as text, in one place (never through float)."""

from __future__ import annotations

from django.utils.formats import get_format, number_format


def split_cents(cents: int) -> tuple[str, int, int]:
    """``-123456`` -> ``("-", 1234, 56)``: sign, whole euros, cents."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return sign, whole, part


def localized_amount(cents: int) -> str:
    """``123456`` -> ``1 234,56`` (grouping and decimal mark of the active language)."""
    sign, whole, part = split_cents(cents)
    separator = get_format("DECIMAL_SEPARATOR")
    return f"{sign}{number_format(whole, force_grouping=True)}{separator}{part:02d}"
