"""verify.py reads documents through a `fetch(url) -> bytes`; these serve them
from the Django test client, so that a test checks what the platform publishes
(and can tamper with it on the way)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.test import Client

Fetch = Callable[[str], bytes]


def client_fetch(client: Client) -> Fetch:
    def fetch(url: str) -> bytes:
        parts = urlsplit(url)
        response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
        if response.status_code != 200:
            raise OSError(f"HTTP {response.status_code} for {url}")
        if getattr(response, "streaming", False):
            return b"".join(response.streaming_content)  # type: ignore[attr-defined]
        return bytes(response.content)

    return fetch
