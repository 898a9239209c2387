"""The project's URLs plus the benchmark's two baselines, served by the same
settings and middleware as every page: a hello-world view and a plain page of
20 table rows in the site's layout."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path

from librery.urls import handler400, handler403, handler404, handler500
from librery.urls import urlpatterns as site_urlpatterns

ROWS = 20


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello, world!", content_type="text/plain")


def rows(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "demo/bench_rows.html",
        {"rows": [(n, f"Row {n}", n * 1_234) for n in range(1, ROWS + 1)]},
    )


__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns: list[URLPattern | URLResolver] = [
    path("bench/hello/", hello),
    path("bench/rows/", rows),
    *site_urlpatterns,
]
