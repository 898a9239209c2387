from __future__ import annotations

from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from contributors.selectors import contributors_of
from governance.permissions import can_enter_portal


@require_GET
def contribute(request: HttpRequest) -> HttpResponse:
    return render(request, "contributors/contribute.html")


@login_required
@require_GET
def my_account(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "contributors/my_account.html",
        {
            "contributors": contributors_of(user),  # type: ignore[arg-type]
            "mfa_enabled": is_mfa_enabled(user, types=["totp"]),
            "maintainerships": user.maintainerships.select_related("project"),  # type: ignore[union-attr]
            "can_enter_portal": can_enter_portal(user),
        },
    )
