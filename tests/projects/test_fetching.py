from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from projects.fetching import FetchError, fetch_url
from tests.projects.conftest import LocalServer


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_fetches_from_loopback_only_when_allowed(local_server: LocalServer) -> None:
    url = local_server.serve("/funding.json", b'{"ok": true}')
    assert fetch_url(url, max_bytes=100, allow_loopback=True).body == b'{"ok": true}'
    with pytest.raises(FetchError, match="private or reserved network"):
        fetch_url(url, max_bytes=100)
    assert local_server.hits == ["/funding.json"]


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/funding.json",
        "http://192.168.1.1/funding.json",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/funding.json",
        "http://0.0.0.0/funding.json",
        "http://224.0.0.1/funding.json",
        "http://[::ffff:127.0.0.1]/funding.json",
    ],
)
def test_private_addresses_are_refused_before_connecting(url: str) -> None:
    with pytest.raises(FetchError, match="private or reserved network"):
        fetch_url(url, max_bytes=100, allow_loopback=False)


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch: Any) -> None:
    def fake_getaddrinfo(*args: object, **kwargs: object) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 80))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(FetchError, match=r"example\.org is on a private"):
        fetch_url("https://example.org/funding.json", max_bytes=100)


@pytest.mark.parametrize(
    "url", ["ftp://example.org/funding.json", "file:///etc/passwd", "gopher://x/"]
)
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(FetchError, match="Only http and https"):
        fetch_url(url, max_bytes=100)


def test_size_cap_while_reading(local_server: LocalServer) -> None:
    url = local_server.serve("/big.json", b"x" * 5000)
    with pytest.raises(FetchError, match="too large"):
        fetch_url(url, max_bytes=1000, allow_loopback=True)


def test_redirects_are_followed_but_checked(local_server: LocalServer) -> None:
    target = local_server.serve("/final.json", b"{}")
    start = local_server.serve("/start.json", b"", status=302, Location="/final.json")
    assert fetch_url(start, max_bytes=100, allow_loopback=True).url == target
    evil = local_server.serve(
        "/evil.json", b"", status=301, Location="http://169.254.169.254/latest/"
    )
    with pytest.raises(FetchError, match="private or reserved network"):
        fetch_url(evil, max_bytes=100, allow_loopback=True)
    loop = local_server.serve("/loop.json", b"", status=302, Location="/loop.json")
    with pytest.raises(FetchError, match="Too many redirects"):
        fetch_url(loop, max_bytes=100, allow_loopback=True)


def test_error_statuses_and_timeouts(local_server: LocalServer) -> None:
    with pytest.raises(FetchError, match="status 404"):
        fetch_url(local_server.base + "/missing.json", max_bytes=100, allow_loopback=True)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        port = silent.getsockname()[1]
        with pytest.raises(FetchError, match="could not be fetched"):
            fetch_url(
                f"http://127.0.0.1:{port}/funding.json",
                max_bytes=100,
                timeout=0.2,
                allow_loopback=True,
            )
    finally:
        silent.close()
