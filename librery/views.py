from __future__ import annotations

import json

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from librery import selectors
from librery.numbers import whole_number
from librery.pagecache import public_cached
from librery.publication import GENESIS_HASH, verify_script
from projects.selectors import home_figures


@public_cached
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", home_figures())


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    """What crawlers leave alone: the account pages (whose `?next=` addresses
    have no end), the admin, the API (for programs, with its own rate limits),
    the webhook and the language switch. Pages behind a sign-in send crawlers
    to the account pages, so they stop there."""
    disallowed = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            disallowed += [
                reverse("account_login").removesuffix("login/"),
                reverse("admin:index"),
            ]
    disallowed += ["/api/", "/webhooks/", "/i18n/"]
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in disallowed), ""]
    response = HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


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


_PAGE_DIGITS = 9  # no log has a billion pages


@require_GET
def publication_log(request: HttpRequest) -> HttpResponse:
    """The publication log, oldest entry first, a page at a time, as stable JSON
    (sorted keys): `verify.py log` recomputes its chain and every document's hash."""
    number = whole_number(request.GET.get("page", "1"), max_digits=_PAGE_DIGITS)
    page = selectors.publication_page(number=number) if number else None
    if page is None:
        raise Http404

    def link(number: int) -> str | None:
        if not 1 <= number <= page.pages:
            return None
        return request.build_absolute_uri(f"{request.path}?page={number}")

    head = page.head
    body = {
        "log": "The Librery publication log",
        "hashing": (
            "entry_hash = SHA-256 of the JSON of position, kind, reference, url, sha256, "
            "previous_hash and published_at, keys sorted, no spaces, UTF-8; "
            "the first entry's previous_hash is the genesis hash"
        ),
        "genesis_hash": GENESIS_HASH,
        "head": {"position": head.position, "entry_hash": head.entry_hash} if head else None,
        "count": page.count,
        "page": page.number,
        "pages": page.pages,
        "previous": link(page.number - 1),
        "next": link(page.number + 1),
        "entries": page.entries,
    }
    response = HttpResponse(
        json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False) + "\n",
        content_type="application/json",
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def verify_script_file(request: HttpRequest) -> HttpResponse:
    """verify.py, which the public pages tell visitors to run: the same file
    as the repository's, so anyone can check the platform's documents without
    trusting (or cloning) the platform."""
    script = verify_script()
    response = HttpResponse(script.content, content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="verify.py"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def default_language_prefixed(request: HttpRequest, rest: str) -> HttpResponse:
    """`/fr/…`: the default language's pages have no prefix, but a visitor or a
    link may guess one; sent for good to the page without it (never elsewhere)."""
    target = "/" + rest.lstrip("/\\")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        target = "/"
    if query := request.META.get("QUERY_STRING", ""):
        target += "?" + query
    return HttpResponsePermanentRedirect(target)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid CSRF token (a page left open too long, a
    sign-in in another tab, cookies refused): the site's own page, in the
    reader's language, with the way back to the form. Nothing was saved."""
    referer = request.META.get("HTTP_REFERER", "")
    same_site = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return render(
        request, "errors/403_csrf.html", {"back_url": referer if same_site else ""}, status=403
    )


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)
