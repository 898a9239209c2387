from __future__ import annotations

from django import template

from funds.money import localized_amount

register = template.Library()


@register.filter
def cents_as_euros(cents: int) -> str:
    """Integer cents shown as a localized amount with two decimals (no floats)."""
    return localized_amount(cents)
