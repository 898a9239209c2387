"""Rate limits of the platform's own actions (allauth limits its own: login,
sign-up, password reset, with `ACCOUNT_RATE_LIMITS`).

One fixed-window counter per action and per person in Django's cache: the
signed-in user, or the client address for an anonymous request. The limits
are `LIBRERY_RATE_LIMITS` (`{"pledge": "20/h", ...}`: that many per second,
minute, hour or day, or per `N` of them as in `"5/10m"`). Over the limit, a page
answers 429 with `429.html` (allauth's 429 page too) and the API answers 429
with its JSON `detail`.

The counters are only as shared as the cache: with `REDIS_URL` every web worker
counts in Redis; the local-memory cache of the embedded default counts in each
process alone, so N workers allow N times the limit.

The client address is `REMOTE_ADDR`, or, behind `TRUSTED_PROXY_COUNT` reverse
proxies of ours, the address the outermost of them saw: the entry of
`X-Forwarded-For` that many places from its end (each proxy appends the address
it received the request from; what is before was written by the client and
proves nothing). With 0 the header is ignored.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

View = Callable[..., HttpResponse]

_RATE = re.compile(r"(?P<amount>[0-9]+)/(?P<count>[0-9]*)(?P<unit>[smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Addresses of one IPv6 /64 belong to one subscriber: they count together.
IPV6_PREFIX = 64


@dataclass(frozen=True)
class Rate:
    amount: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """`"20/h"` is 20 an hour, `"5/10m"` 5 per 10 minutes; anything else raises ValueError."""
    match = _RATE.fullmatch(text)
    if match is None or int(match["count"] or 1) == 0:
        raise ValueError(f"A rate limit reads like 20/h or 5/10m, not {text!r}.")
    return Rate(
        amount=int(match["amount"]),
        seconds=int(match["count"] or 1) * _UNIT_SECONDS[match["unit"]],
    )


def client_ip(request: HttpRequest | Request) -> str:
    """The client's address as our reverse proxies saw it (see the module's docstring)."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    count: int = settings.TRUSTED_PROXY_COUNT
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    hops = [hop.strip() for hop in forwarded.split(",")] if forwarded else []
    if count == 0 or len(hops) < count:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:  # not written by a proxy of ours: trust nothing in it
        return remote


def _who(request: HttpRequest | Request) -> str:
    user = request.user
    if user.is_authenticated:
        return f"user:{user.pk}"
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return f"ip:{address}"
    if parsed.version == 6:  # noqa: PLR2004 -- IPv6
        return f"ip:{ipaddress.ip_network(f'{parsed}/{IPV6_PREFIX}', strict=False)}"
    return f"ip:{parsed}"


def rate_limit_hit(request: HttpRequest | Request, action: str) -> bool:
    """Count one `action` of this person; False once they are over its limit
    in the current window (the refused attempts count too)."""
    rate = parse_rate(settings.LIBRERY_RATE_LIMITS[action])
    window = int(time.time()) // rate.seconds
    key = f"ratelimit:{action}:{_who(request)}:{window}"
    cache.add(key, 0, timeout=rate.seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted since `add`: this attempt is the window's first
        cache.add(key, 1, timeout=rate.seconds)
        count = 1
    return bool(count <= rate.amount)


def too_many_requests_message() -> str:
    return _("You have done this too many times in a short while. Please wait and try again.")


def too_many_requests(request: HttpRequest) -> HttpResponse:
    return render(request, "429.html", status=429)


def rate_limited(action: str, *, methods: tuple[str, ...] = ("POST",)) -> Callable[[View], View]:
    """Limit a view's `methods` requests with the `action` counter."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods and not rate_limit_hit(request, action):
                return too_many_requests(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


class ActionRateThrottle(BaseThrottle):
    """The same counters for an API view: it names its action in
    `rate_limit_action`; only writes are counted."""

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method in {"GET", "HEAD", "OPTIONS"}:
            return True
        if rate_limit_hit(request, str(view.rate_limit_action)):
            return True
        raise Throttled(detail=too_many_requests_message())
