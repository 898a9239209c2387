"""A local HTTP server for fetching and claiming manifests (the network edge)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from projects.tasks import manifest_fetch_run_task
from tests.paths import DATA
from tests.tasks import queued_tasks

FUNDING_JSON_DIR = DATA / "funding-json"


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds between single bytes of a slow server (0: send at once), and whether
    # the headers trickle too (else only the body).
    trickle: float = 0.0
    trickle_headers: bool = False


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[str] = []
        routes, hits = self.routes, self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                route = routes.get(self.path, Route(status=404, body=b"not found"))
                if route.trickle:
                    self._trickle(route)
                    return
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def _trickle(self, route: Route) -> None:
                head = (
                    f"HTTP/1.1 {route.status} OK\r\nContent-Length: {len(route.body)}\r\n\r\n"
                ).encode()
                sent = b"" if route.trickle_headers else head
                slow = (head if route.trickle_headers else b"") + route.body
                try:
                    self.wfile.write(sent)
                    self.wfile.flush()
                    for index in range(len(slow)):
                        time.sleep(route.trickle)
                        self.wfile.write(slow[index : index + 1])
                        self.wfile.flush()
                except OSError:  # the client gave up: that is the point
                    return

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def serve(self, path: str, body: bytes, status: int = 200, **headers: str) -> str:
        self.routes[path] = Route(status=status, body=body, headers=headers)
        return self.base + path

    def trickle(self, path: str, body: bytes, every: float, *, headers_too: bool = False) -> str:
        """Serve `body` one byte every `every` seconds (a slow or hostile server)."""
        self.routes[path] = Route(body=body, trickle=every, trickle_headers=headers_too)
        return self.base + path


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    server = LocalServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def real_manifests() -> list[Path]:
    return sorted(
        p for p in FUNDING_JSON_DIR.glob("*.json") if not p.name.startswith(("schema-", "invalid-"))
    )


def invalid_manifests() -> list[Path]:
    return sorted(FUNDING_JSON_DIR.glob("invalid-*.json"))


def fetch_tasks() -> AbstractContextManager[list[dict[str, Any]]]:
    """Run each manifest fetch task enqueued inside the block at once, in this
    process, as the embedded default (no broker) does; yields their arguments."""
    return queued_tasks(manifest_fetch_run_task, at_once=True)
