from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import translation
from pytest_django.fixtures import SettingsWrapper

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


# --- Issue 9 finding 11: a total deadline, and 6to4 / Teredo refused -------------


@pytest.mark.parametrize("headers_too", [False, True], ids=["slow-body", "slow-headers"])
def test_a_trickling_server_is_given_up_at_the_deadline(
    local_server: LocalServer, headers_too: bool
) -> None:
    # One byte every 0.2 s: each read is well inside the 10 s read timeout, and
    # the whole would take 40 s; the 1 s deadline must end it.
    url = local_server.trickle("/funding.json", b"x" * 200, 0.2, headers_too=headers_too)
    started = time.monotonic()
    with pytest.raises(FetchError, match="took too long"):
        fetch_url(url, max_bytes=1_000, allow_loopback=True, deadline=1.0)
    assert time.monotonic() - started < 1.0 + 2.0


def test_the_deadline_defaults_to_the_setting(
    local_server: LocalServer, settings: SettingsWrapper
) -> None:
    settings.LIBRERY_FETCH_DEADLINE = 0.5
    url = local_server.trickle("/funding.json", b"x" * 200, 0.2)
    started = time.monotonic()
    with pytest.raises(FetchError, match="took too long"):
        fetch_url(url, max_bytes=1_000, allow_loopback=True)
    assert time.monotonic() - started < 0.5 + 2.0


def test_a_quick_server_within_the_deadline_is_read(local_server: LocalServer) -> None:
    url = local_server.trickle("/funding.json", b"{}", 0.01)
    assert fetch_url(url, max_bytes=100, allow_loopback=True, deadline=5.0).body == b"{}"


@pytest.mark.parametrize(
    "address",
    [
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2002:808:808::1",  # 6to4 of 8.8.8.8: is_global says yes
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "2001::1",  # Teredo
    ],
)
def test_6to4_and_teredo_addresses_are_refused(address: str, monkeypatch: Any) -> None:
    def fake_getaddrinfo(*args: object, **kwargs: object) -> list[Any]:
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, 80, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(FetchError, match=r"example\.org is on a private or reserved network"):
        fetch_url("https://example.org/funding.json", max_bytes=100)


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.mark.parametrize(
    ("every", "headers_too", "outcome"),
    [(0.0, False, "read"), (0.2, False, "late"), (0.2, True, "late")],
    ids=["quick", "slow-body", "slow-headers"],
)
def test_the_deadline_holds_over_tls(
    tmp_path: Path, monkeypatch: Any, every: float, headers_too: bool, outcome: str
) -> None:
    cert_file, key_file = _self_signed(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    listener = socket.create_server(("127.0.0.1", 0))
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"

    def serve() -> None:
        connection, _address = listener.accept()
        with server_context.wrap_socket(connection, server_side=True) as tls:
            tls.recv(4096)
            quick, slow = (b"", head + b"x" * 100) if headers_too else (head, b"x" * 100)
            try:
                tls.sendall(quick)
                for index in range(len(slow)):
                    time.sleep(every)
                    tls.sendall(slow[index : index + 1])
            except OSError:  # the client gave up
                return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    default_context = ssl.create_default_context

    def trusting(*args: Any, **kwargs: Any) -> ssl.SSLContext:  # the trust store: the edge
        context = default_context(*args, **kwargs)
        context.load_verify_locations(cert_file)
        return context

    monkeypatch.setattr(ssl, "create_default_context", trusting)
    url = f"https://127.0.0.1:{listener.getsockname()[1]}/funding.json"
    started = time.monotonic()
    try:
        if outcome == "read":
            assert fetch_url(url, max_bytes=1_000, allow_loopback=True, deadline=5.0).body == (
                b"x" * 100
            )
        else:
            with pytest.raises(FetchError, match="took too long"):
                fetch_url(url, max_bytes=1_000, allow_loopback=True, deadline=1.0)
            assert time.monotonic() - started < 1.0 + 2.0
    finally:
        listener.close()
        thread.join(timeout=30)


@pytest.mark.parametrize(
    ("length", "body", "outcome"),
    [
        ("\xb2", b"x" * 10, "read"),  # "²" in Latin-1: a digit to str.isdigit()
        ("9" * 5000, b"x" * 10, "read"),  # more digits than int() reads
        ("1000", b"x" * 1000, "too large"),
    ],
    ids=["superscript", "endless", "stated"],
)
def test_a_content_length_that_is_no_number_is_not_believed(
    length: str, body: bytes, outcome: str
) -> None:
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _address = listener.accept()
        with connection:
            connection.recv(4096)
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
            connection.sendall(head.encode("latin-1") + body)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/funding.json"
    try:
        if outcome == "read":
            assert fetch_url(url, max_bytes=100, allow_loopback=True, deadline=5.0).body == body
        else:
            with pytest.raises(FetchError, match="too large"):
                fetch_url(url, max_bytes=100, allow_loopback=True, deadline=5.0)
    finally:
        listener.close()
        thread.join(timeout=30)
