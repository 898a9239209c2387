"""schemathesis against the OpenAPI schema (issue 9's standing test): every
operation, with bounded and reproducible generated input, as anonymous, as a
contributor and as an administrator with TOTP. No server error, no response
outside the schema (status code, content type, body), and no data of another
user in what the contributor receives.

The requests go through the WSGI application in this process (so inside the
test's transaction). Fetching outside URLs (manifests, claims) is switched to
a loopback-only server at the network edge: whatever address is generated,
the platform connects to 127.0.0.1 only."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpRequest
from django.middleware.csrf import get_token
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi import checks as openapi_checks

from projects import fetching
from tests.authz.graph import Graph, build_graph

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SCHEMA_PATH = "/api/schema/?format=json"
MAX_EXAMPLES = 25  # per operation and persona: bounded, and derandomized below
CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]
API_PERSONAS = ("anonymous", "other_contributor", "administrator")


# --- Fetching: loopback only ---------------------------------------------------------------


class _ManifestHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"version": "v1.0.0"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@dataclass
class LoopbackNetwork:
    """`projects.fetching`'s view of the network: every name resolves to
    127.0.0.1 and every connection goes to the local test server."""

    port: int
    asked: list[tuple[str, int]] = field(default_factory=list)
    connected: list[tuple[str, int]] = field(default_factory=list)

    def getaddrinfo(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        self.asked.append((str(host), int(port)))
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    def create_connection(self, address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        self.connected.append(("127.0.0.1", self.port))
        return socket.create_connection(("127.0.0.1", self.port), *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(socket, name)


@pytest.fixture
def loopback_network(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[LoopbackNetwork]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ManifestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    network = LoopbackNetwork(port=server.server_address[1])
    monkeypatch.setattr(fetching, "socket", network)
    settings.LIBRERY_FETCH_ALLOW_LOOPBACK = True
    try:
        yield network
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- The application, in this process and this transaction -------------------------------


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Django's WSGI handler; like Django's test client, it must not close the
    test's database connection at the start and end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _session_for(user: Any) -> dict[str, str]:
    """A signed-in session and a CSRF token pair for `user` (the API authenticates
    with the session, and asks the CSRF token on unsafe methods)."""
    from importlib import import_module  # noqa: PLC0415 -- the configured engine

    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    request = HttpRequest()
    token = get_token(request)
    return {
        "sessionid": str(session.session_key),
        "csrftoken": str(request.META["CSRF_COOKIE"]),
        "token": token,
    }


@dataclass
class Secrets:
    """What the contributor persona must never receive: the other contributor's data."""

    strings: list[str]


def _secrets_of_first_contributor(graph: Graph) -> Secrets:
    alice = graph.users["contributor"]
    return Secrets(
        strings=[
            alice.email,
            alice.display_name,
            "Alice Owner",
            graph.organisation.name,
            graph.payment_request.reference,
            graph.payment_request.number,
            "pi_authz_alice",
        ]
    )


@dataclass
class Outcome:
    cases: int = 0
    failures: list[str] = field(default_factory=list)


def _run_operation(
    operation: Any,
    *,
    app: WSGIHandler,
    cookies: dict[str, str],
    headers: dict[str, str],
    secrets: Secrets | None,
    outcome: Outcome,
    path_parameters: dict[str, Any] | None = None,
) -> None:
    seen: set[str] = set()

    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(path_parameters=path_parameters))
    def run(case: Any) -> None:
        outcome.cases += 1
        response = case.call(app=app, cookies=cookies, headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = f"{operation.label}: {failure.title} ({response.status_code})"
                if key not in seen:
                    seen.add(key)
                    detail = " ".join(str(failure.message).split())[:300]
                    outcome.failures.append(f"{key}: {detail}\n    {case.as_curl_command()}")
        if secrets is not None:
            body = response.content.decode("utf-8", errors="replace")
            leaked = [s for s in secrets.strings if s and s in body]
            if leaked:
                outcome.failures.append(f"{operation.label}: another user's data {leaked}")

    run()


@pytest.mark.parametrize("persona", API_PERSONAS)
def test_api_against_its_schema(
    persona: str, wsgi_app: WSGIHandler, loopback_network: LoopbackNetwork
) -> None:
    graph = build_graph()
    schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, wsgi_app)
    cookies: dict[str, str] = {}
    headers: dict[str, str] = {}
    if persona != "anonymous":
        session = _session_for(graph.users[persona])
        cookies = {"sessionid": session["sessionid"], "csrftoken": session["csrftoken"]}
        headers = {"X-CSRFToken": session["token"]}
    secrets = None if persona == "administrator" else _secrets_of_first_contributor(graph)
    outcome = Outcome()
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    for operation in operations:
        _run_operation(
            operation,
            app=wsgi_app,
            cookies=cookies,
            headers=headers,
            secrets=secrets,
            outcome=outcome,
        )
        if secrets is not None and "{id}" in operation.path:
            # The first contributor's objects, asked for by id: never given out.
            for pk in {graph.pledge.pk, graph.receipt.pk, graph.payment_request.pk}:
                _run_operation(
                    operation,
                    app=wsgi_app,
                    cookies=cookies,
                    headers=headers,
                    secrets=secrets,
                    outcome=outcome,
                    path_parameters={"id": pk},
                )
    # Whatever address was generated, nothing connected beyond the loopback server.
    assert set(loopback_network.connected) <= {("127.0.0.1", loopback_network.port)}
    summary = (
        f"{persona}: {len(operations)} operations, {outcome.cases} cases, "
        f"{len(outcome.failures)} failures"
    )
    print(summary)  # noqa: T201 -- the closing note's figures, in the test output
    assert not outcome.failures, summary + "\n" + "\n".join(outcome.failures)
