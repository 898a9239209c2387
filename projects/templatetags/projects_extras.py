from __future__ import annotations

from django import template
from django.utils.formats import get_format, number_format

register = template.Library()


@register.filter
def cents_as_euros(cents: int) -> str:
    """Integer cents shown as a localized amount with two decimals (no floats)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    whole_text = number_format(whole, force_grouping=True)
    separator = get_format("DECIMAL_SEPARATOR")
    return f"{sign}{whole_text}{separator}{rest:02d}"
