"""Who may enter the governance portal, in one place.

A seat holder is a person with a mandate in force today; substitutes of a
mandate in force may enter too (they vote when the holder is absent), and
administrators (staff) always may."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from governance.models import Mandate


def is_seat_holder(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Mandate.objects.in_force(timezone.localdate()).filter(holder=user).exists()


def is_substitute(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Mandate.objects.in_force(timezone.localdate()).filter(substitute=user).exists()


def can_enter_portal(user: Any) -> bool:
    return bool(getattr(user, "is_staff", False)) or is_seat_holder(user) or is_substitute(user)


def can_administer(user: Any) -> bool:
    return bool(getattr(user, "is_staff", False))


def portal_in_menu(user: Any) -> bool:
    """`can_enter_portal` in one query at most, for the menu shown on every page."""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_staff", False):
        return True
    return (
        Mandate.objects.in_force(timezone.localdate())
        .filter(Q(holder=user) | Q(substitute=user))
        .exists()
    )
