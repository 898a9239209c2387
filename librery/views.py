from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from librery import selectors
from projects.selectors import home_figures


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", home_figures())


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    state = selectors.health()
    last_seen = state.worker_last_seen_at
    return JsonResponse(
        {
            "status": "ok" if state.ok else "error",
            "database": {"status": state.database, "vendor": state.database_vendor},
            "broker": {"status": state.broker, "kind": state.broker_kind},
            "worker": {"last_seen_at": last_seen.isoformat() if last_seen else None},
        },
        status=200 if state.ok else 503,
    )


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)
