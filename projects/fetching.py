"""Fetching a URL that a user gave us, safely (manifests, well-known files).

Only http and https; the host is resolved here and every address must be public
(no private, loopback, link-local, multicast, reserved or unspecified address,
unless the caller explicitly allows loopback, which only tests do); the
connection goes to the checked address (no second DNS lookup); redirects are
followed by hand, a few at most, each target checked the same way; timeouts;
the body is read up to a byte cap.

The read timeout applies to each read; a total deadline (``deadline`` seconds,
``LIBRERY_FETCH_DEADLINE`` by default) bounds the whole fetch, redirects
included: the monotonic clock is checked before every read of the socket and the
socket's timeout is cut to the time left, so a server trickling one byte at a
time cannot hold a worker. 6to4 (2002::/16) and Teredo (2001::/32) addresses are
refused: they tunnel to an IPv4 address that was never checked.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from librery.numbers import whole_number
from projects.errors import ProjectsError

USER_AGENT = "TheLibrery/1.0 (+funding.json fetcher)"
DEFAULT_TIMEOUT = 10.0
DEFAULT_DEADLINE = 20.0  # seconds for the whole fetch, when LIBRERY_FETCH_DEADLINE is unset
MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_OK = 200
_CHUNK = 16_384


class FetchError(ProjectsError):
    """The URL could not be fetched safely; the message says why (translated)."""


@dataclass(frozen=True)
class Fetched:
    url: str  # the final URL, after redirects
    body: bytes


_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
_TEREDO = ipaddress.IPv6Network("2001::/32")


class _Deadline:
    """The moment (monotonic clock) a fetch must be over, and the per-read timeout."""

    def __init__(self, seconds: float, read_timeout: float) -> None:
        self.at = time.monotonic() + seconds
        self.read_timeout = read_timeout

    def timeout(self) -> float:
        """The timeout for the next socket operation; raise once the deadline has passed."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise FetchError(_("The server took too long to answer."))
        return min(self.read_timeout, left)


class _DeadlineSocket(socket.socket):
    """A socket whose every read first cuts its timeout to the time left."""

    deadline: _Deadline

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        self.settimeout(self.deadline.timeout())
        return super().recv_into(buffer, nbytes, flags)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        self.settimeout(self.deadline.timeout())
        return super().recv(bufsize, flags)


class _DeadlineSSLSocket(ssl.SSLSocket):
    """The same for TLS (the context makes its sockets of this class)."""

    deadline: _Deadline

    def recv_into(self, buffer: Any, nbytes: int | None = None, flags: int = 0) -> int:
        self.settimeout(self.deadline.timeout())
        return super().recv_into(buffer, nbytes, flags)

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        self.settimeout(self.deadline.timeout())
        return super().recv(buflen, flags)


def _connect(address: str, port: int, deadline: _Deadline) -> _DeadlineSocket:
    plain = socket.create_connection((address, port), deadline.timeout())
    sock = _DeadlineSocket(plain.family, plain.type, plain.proto, fileno=plain.detach())
    sock.deadline = deadline
    sock.settimeout(deadline.timeout())
    return sock


def _allowed(address: str, *, allow_loopback: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    if isinstance(ip, ipaddress.IPv6Address) and (
        ip in _SIX_TO_FOUR or ip in _TEREDO or ip.sixtofour is not None or ip.teredo is not None
    ):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def _resolve(host: str, port: int, *, allow_loopback: bool) -> str:
    """A checked address for `host`; refuse if any of its addresses is not public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(_("The host %(host)s cannot be found.") % {"host": host}) from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses or not all(_allowed(a, allow_loopback=allow_loopback) for a in addresses):
        raise FetchError(
            _("The host %(host)s is on a private or reserved network: refused.") % {"host": host}
        )
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, deadline: _Deadline) -> None:
        super().__init__(host, port, timeout=deadline.read_timeout)
        self._address = address
        self._deadline = deadline

    def connect(self) -> None:
        self.sock = _connect(self._address, self.port, self._deadline)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, deadline: _Deadline) -> None:
        context = ssl.create_default_context()
        context.sslsocket_class = _DeadlineSSLSocket
        super().__init__(host, port, timeout=deadline.read_timeout, context=context)
        self._address = address
        self._deadline = deadline

    def connect(self) -> None:
        sock = _connect(self._address, self.port, self._deadline)
        wrapped = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]
        wrapped.deadline = self._deadline
        self.sock = wrapped


def _check_url(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise FetchError(_("Only http and https addresses can be fetched."))
    if not parts.hostname or parts.username or parts.password:
        raise FetchError(_("The address must name a host, without a user name or password."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError(_("The address's port is not valid.")) from exc
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.scheme, parts.hostname, port, path


def fetch_url(
    url: str,
    *,
    max_bytes: int,
    timeout: float = DEFAULT_TIMEOUT,
    deadline: float | None = None,
    allow_loopback: bool = False,
) -> Fetched:
    """GET `url` under the rules above, all of it within `deadline` seconds; raise
    FetchError with a clear message."""
    if deadline is None:
        deadline = float(getattr(settings, "LIBRERY_FETCH_DEADLINE", DEFAULT_DEADLINE))
    clock = _Deadline(deadline, timeout)
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, path = _check_url(url)
        address = _resolve(host, port, allow_loopback=allow_loopback)
        connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        connection = connection_class(host, port, address, clock)
        try:
            connection.request(
                "GET", path, headers={"User-Agent": USER_AGENT, "Accept": "application/json"}
            )
            response = connection.getresponse()
            if response.status in _REDIRECTS:
                location = response.getheader("Location") or ""
                if not location:
                    raise FetchError(_("The server redirected without saying where."))
                url = urljoin(url, location)
                continue
            if response.status != _OK:
                raise FetchError(
                    _("The server answered with status %(status)d.") % {"status": response.status}
                )
            return Fetched(url=url, body=_read_body(response, max_bytes, clock))
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, TimeoutError) and time.monotonic() >= clock.at:
                raise FetchError(_("The server took too long to answer.")) from exc
            raise FetchError(
                _("The address could not be fetched (%(reason)s).") % {"reason": type(exc).__name__}
            ) from exc
        finally:
            connection.close()
    raise FetchError(_("Too many redirects."))


def _read_body(response: http.client.HTTPResponse, max_bytes: int, clock: _Deadline) -> bytes:
    length = response.getheader("Content-Length")
    stated = whole_number(length)  # anything else: the reads below stop at max_bytes
    if stated is not None and stated > max_bytes:
        raise FetchError(_too_large(max_bytes))
    body = b""
    while len(body) <= max_bytes:
        clock.timeout()  # between reads too, whatever the reads do
        chunk = response.read1(_CHUNK)
        if not chunk:
            break
        body += chunk
    if len(body) > max_bytes:
        raise FetchError(_too_large(max_bytes))
    return body


def _too_large(max_bytes: int) -> str:
    return _("The file is too large (more than %(max)d bytes).") % {"max": max_bytes}
