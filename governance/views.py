from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from governance.permissions import can_enter_portal


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "governance/about.html",
        {"can_enter_portal": can_enter_portal(request.user)},
    )


@login_required
@require_GET
def portal(request: HttpRequest) -> HttpResponse:
    if not can_enter_portal(request.user):
        raise PermissionDenied
    return render(request, "governance/portal.html")
