"""Public pages and API lists served from the shared cache to anonymous visitors.

A page is kept under its full path, the `Accept` header and the method (and, for
the API, whose language is negotiated, the `Accept-Language` header and the
language cookie; a page's URL carries its language), together with the *version*
of the public data it was rendered under. The services that change what these
pages show (a computed run, a payout, a project written, a decision released)
call `public_pages_changed()`, which moves the version on once their transaction
commits, so that the next visitor gets a fresh page. What changes without such a
call (a receipt between two runs, a new public contributor) shows within
`PUBLIC_PAGE_CACHE_SECONDS` (0 turns the cache off).

`PublicPageCacheMiddleware` (placed before the session, locale, CSRF and
authentication middleware) answers a cached page with one cache round trip (the
version and the page read together) and none of the work of the middleware
after it: a visitor without a session or pending messages is anonymous whatever
those would find. It stores what a view marked with `@public_cached` answered,
as the whole middleware chain left it (its security headers included), unless
the response sets a cookie (a CSRF token, a session) or is not a plain 200.
Signed-in people always get their own page."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from librery.middleware import NEGOTIATED_LANGUAGE_PREFIXES

VERSION_KEY = "public-pages:version"
MESSAGES_COOKIE = "messages"
# What a marked response carries (`public_cached`), and headers never kept.
PUBLIC_MARK = "librery_public_page"
UNKEPT_HEADERS = ("set-cookie", "date")

View = Callable[..., Any]


def _fresh_version() -> int:
    """A version no page stored before can carry: the time in microseconds (the
    versions before were an earlier time plus far fewer changes than
    microseconds), so that a cache that lost only its version key (evicted,
    flushed) serves none of the pages stored under the old ones."""
    return time.time_ns() // 1_000


def public_version() -> int:
    """The current version of the public data."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _fresh_version(), timeout=None)
        version = cache.get(VERSION_KEY)
    return int(version)


def public_version_bump() -> None:
    """Move the version on now (what `public_pages_changed` does at commit)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version (a cleared cache): any new one is new
        cache.add(VERSION_KEY, _fresh_version(), timeout=None)


def public_pages_changed() -> None:
    """What the public pages show has changed: once the current transaction
    commits (at once outside one), every cached page is out of date."""
    transaction.on_commit(public_version_bump)


def _cacheable_request(request: HttpRequest) -> bool:
    """Whether the request may be answered from, or stored in, the cache: judged
    before the session and authentication middleware, from what the request
    carries (no session cookie: an anonymous visitor)."""
    return (
        settings.PUBLIC_PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and MESSAGES_COOKIE not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
    )


def _cacheable_response(response: Any) -> bool:
    return (
        response.status_code == 200  # noqa: PLR2004 -- HTTP OK
        and not response.streaming
        and not response.cookies
        and getattr(response, PUBLIC_MARK, False)
    )


def page_key(request: HttpRequest) -> str:
    """The key of a page, whatever the version of the public data. The scheme
    and host are part of it: pages and API lists write absolute addresses."""
    parts = [
        request.scheme or "",
        request.get_host(),
        request.get_full_path(),
        request.META.get("HTTP_ACCEPT", ""),
        request.method or "",
    ]
    if request.path_info.startswith(NEGOTIATED_LANGUAGE_PREFIXES):
        parts += [
            request.META.get("HTTP_ACCEPT_LANGUAGE", ""),
            request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""),
        ]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return f"public-pages:{digest}"


def _lookup(key: str) -> tuple[int, Any]:
    """The current version and what is stored under `key`: one cache round trip."""
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:  # a cleared cache: nothing stored belongs to a new version
        return public_version(), None
    return int(version), found.get(key)


class PublicPageCacheMiddleware:
    """Answer anonymous visitors from the cache; store what `@public_cached` views
    answer them (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _cacheable_request(request):
            return self.get_response(request)
        key = page_key(request)
        version, stored = _lookup(key)
        if stored is not None and stored[0] == version:
            _version, status, headers, content = stored
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            return response
        response = self.get_response(request)
        if _cacheable_response(response):
            headers = [(n, v) for n, v in response.items() if n.lower() not in UNKEPT_HEADERS]
            cache.set(
                key,
                (version, response.status_code, headers, response.content),
                settings.PUBLIC_PAGE_CACHE_SECONDS,
            )
        return response


def public_cached(view: View) -> View:
    """Let `PublicPageCacheMiddleware` keep what `view` answers anonymous visitors."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if not _cacheable_request(request) or request.user.is_authenticated:
            return response
        render = getattr(response, "render", None)
        if render is not None and not response.is_rendered:
            render()  # a DRF or template response: its bytes are what is kept
        setattr(response, PUBLIC_MARK, True)
        return response

    return wrapped
