"""Public pages and API lists served from the shared cache to anonymous visitors.

A page is kept under the current *version* of the public data, its language,
its full path and the `Accept` header; the services that change what these
pages show (a computed run, a payout, a project written, a decision released)
call `public_pages_changed()`, which moves the version on once their
transaction commits, so that the next visitor gets a fresh page. What changes
without such a call (a receipt between two runs, a new public contributor)
shows within `PUBLIC_PAGE_CACHE_SECONDS` (0 turns the cache off).

Only anonymous requests without a session or pending messages are served from,
or stored in, the cache; a response that sets a cookie (a CSRF token, a
session) is never stored. Signed-in people always get their own page."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import translation

VERSION_KEY = "public-pages:version"
MESSAGES_COOKIE = "messages"
# Headers a cached response keeps (the rest is set again by the middleware).
KEPT_HEADERS = ("Content-Type", "Content-Language", "Vary", "Access-Control-Allow-Origin")

View = Callable[..., Any]


def public_version() -> int:
    """The current version of the public data (1 until something changes)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return int(version)


def public_version_bump() -> None:
    """Move the version on now (what `public_pages_changed` does at commit)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (a cleared cache): any new one is new
        cache.add(VERSION_KEY, 2, timeout=None)


def public_pages_changed() -> None:
    """What the public pages show has changed: once the current transaction
    commits (at once outside one), every cached page is out of date."""
    transaction.on_commit(public_version_bump)


def _cacheable_request(request: HttpRequest) -> bool:
    return (
        settings.PUBLIC_PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and MESSAGES_COOKIE not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
    )


def _cacheable_response(response: Any) -> bool:
    return (
        response.status_code == 200  # noqa: PLR2004 -- HTTP OK
        and not response.streaming
        and not response.cookies
    )


def page_key(request: HttpRequest) -> str:
    text = "\n".join(
        (request.get_full_path(), request.META.get("HTTP_ACCEPT", ""), request.method or "")
    )
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return f"public-pages:{public_version()}:{translation.get_language()}:{digest}"


def public_cached(view: View) -> View:
    """Serve `view` to anonymous visitors from the shared cache (see the module)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not _cacheable_request(request):
            return view(request, *args, **kwargs)
        key = page_key(request)
        stored = cache.get(key)
        if stored is not None:
            status, headers, content = stored
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            return response
        response = view(request, *args, **kwargs)
        render = getattr(response, "render", None)
        if render is not None and not response.is_rendered:
            render()  # a DRF or template response: its bytes are what is kept
        if _cacheable_response(response):
            headers = [(name, response[name]) for name in KEPT_HEADERS if response.has_header(name)]
            cache.set(
                key,
                (response.status_code, headers, response.content),
                settings.PUBLIC_PAGE_CACHE_SECONDS,
            )
        return response

    return wrapped
