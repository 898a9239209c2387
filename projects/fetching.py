"""Fetching a URL that a user gave us, safely (manifests, well-known files).

Only http and https; the host is resolved here and every address must be public
(no private, loopback, link-local, multicast, reserved or unspecified address,
unless the caller explicitly allows loopback, which only tests do); the
connection goes to the checked address (no second DNS lookup); redirects are
followed by hand, a few at most, each target checked the same way; timeouts;
the body is read up to a byte cap.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.utils.translation import gettext as _

from projects.errors import ProjectsError

USER_AGENT = "TheLibrery/1.0 (+funding.json fetcher)"
DEFAULT_TIMEOUT = 10.0
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


def _allowed(address: str, *, allow_loopback: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
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
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


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
    allow_loopback: bool = False,
) -> Fetched:
    """GET `url` under the rules above; raise FetchError with a clear message."""
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, path = _check_url(url)
        address = _resolve(host, port, allow_loopback=allow_loopback)
        connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        connection = connection_class(host, port, address, timeout)
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
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FetchError(_too_large(max_bytes))
            body = b""
            while len(body) <= max_bytes:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                body += chunk
            if len(body) > max_bytes:
                raise FetchError(_too_large(max_bytes))
            return Fetched(url=url, body=body)
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(
                _("The address could not be fetched (%(reason)s).") % {"reason": type(exc).__name__}
            ) from exc
        finally:
            connection.close()
    raise FetchError(_("Too many redirects."))


def _too_large(max_bytes: int) -> str:
    return _("The file is too large (more than %(max)d bytes).") % {"max": max_bytes}
