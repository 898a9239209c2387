"""Who may see and change what in the catalogue."""

from __future__ import annotations

from typing import Any

from projects.models import Maintainership, Project


def is_maintainer(user: Any, project: Project) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Maintainership.objects.filter(project=project, user=user).exists()


def can_see_payout_account(user: Any, project: Project) -> bool:
    """Only the project's maintainers and administrators ever see an IBAN (masked)."""
    return bool(getattr(user, "is_staff", False)) or is_maintainer(user, project)
