"""Who may enter the governance portal, in one place.

Until the governance issue brings seats and mandates, a seat holder is a
member of the `seat-holders` group; administrators (staff) always may."""

from __future__ import annotations

from typing import Any

SEAT_HOLDERS_GROUP = "seat-holders"


def is_seat_holder(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.groups.filter(name=SEAT_HOLDERS_GROUP).exists())


def can_enter_portal(user: Any) -> bool:
    return bool(getattr(user, "is_staff", False)) or is_seat_holder(user)
