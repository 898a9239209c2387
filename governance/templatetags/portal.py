"""governance: template tags (the menu's link to the portal)."""

from __future__ import annotations

from typing import Any

from django import template

from governance import permissions

register = template.Library()


@register.simple_tag
def can_enter_portal(user: Any) -> bool:
    """Whether the menu offers the governance portal (seat holders, substitutes, staff)."""
    return permissions.portal_in_menu(user)
