from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from allocation.selectors import transparency_figures
from contributors.selectors import public_contributors


@require_GET
def transparency(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "allocation/transparency.html",
        {"figures": transparency_figures(), "contributors": public_contributors()},
    )
