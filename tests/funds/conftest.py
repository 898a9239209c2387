"""localstripe (from PyPI) on loopback, for the Stripe tests: one server per
test session (per xdist worker), its store flushed before each test."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests import services

LOCALSTRIPE_MAIN = (
    "import sys; from aiohttp import web; from localstripe.server import app; "
    "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)"
)
STRIPE_SECRET_KEY = "sk_test_librery"
STRIPE_PUBLISHABLE_KEY = "pk_test_librery"
STRIPE_WEBHOOK_SECRET = "whsec_librery_test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@pytest.fixture(scope="session")
def _localstripe_server() -> Iterator[str | None]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", LOCALSTRIPE_MAIN, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}" if _wait_for(port, process) else None
    finally:
        process.terminate()
        process.wait(timeout=10)


def localstripe_call(base: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """A raw call to localstripe, as Stripe.js or its /_config API would make it."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 -- loopback http only
        base + path,
        data=data,
        method=method,
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {STRIPE_SECRET_KEY}",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        raw = response.read()
    return json.loads(raw) if raw.strip().startswith(b"{") else raw


@pytest.fixture
def localstripe(_localstripe_server: str | None, settings: Any) -> str:
    """The localstripe base URL, empty, with the Stripe settings pointing at it."""
    services.need(_localstripe_server is not None, "localstripe did not start")
    assert _localstripe_server is not None
    localstripe_call(_localstripe_server, "DELETE", "/_config/data")
    settings.STRIPE_SECRET_KEY = STRIPE_SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = STRIPE_PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
    settings.STRIPE_API_BASE = _localstripe_server
    settings.STRIPE_JS_URL = f"{_localstripe_server}/js.stripe.com/v3/"
    settings.USE_STRIPE = True
    return _localstripe_server
