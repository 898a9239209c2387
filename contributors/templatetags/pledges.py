"""Template filters for pledges."""

from __future__ import annotations

from django import template

from contributors.enums import PledgeStatus

register = template.Library()


@register.filter
def pledge_status_label(value: str) -> str:
    """A stored status value as its label in the active language."""
    try:
        return str(PledgeStatus(value).label)
    except ValueError:
        return value
