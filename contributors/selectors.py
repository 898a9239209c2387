"""Reads about contributors."""

from __future__ import annotations

from django.db.models import QuerySet

from contributors.enums import Visibility
from contributors.models import Contributor, User


def public_contributors() -> QuerySet[Contributor]:
    """Contributors who chose to appear; secret ones never leave the platform."""
    return Contributor.objects.exclude(visibility=Visibility.SECRET).order_by("name", "id")


def contributors_of(user: User) -> QuerySet[Contributor]:
    return Contributor.objects.filter(user=user).order_by("name", "id")
