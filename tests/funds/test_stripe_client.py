"""The Stripe gateway against localstripe: every call Stripe refuses comes back
as `GatewayError` with Stripe's message, never as a Stripe exception."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest

from funds.stripe.client import (
    DisputeState,
    EventFormatError,
    GatewayCardError,
    GatewayError,
    SignatureError,
    StripeGateway,
    gateway,
)
from tests.funds.conftest import STRIPE_WEBHOOK_SECRET
from tests.funds.test_stripe_webhooks import sign

pytestmark = [pytest.mark.integration]


def test_without_a_secret_key_there_is_no_gateway(settings: Any) -> None:
    settings.USE_STRIPE = False
    with pytest.raises(GatewayError) as caught:
        gateway()
    assert str(caught.value) == "Stripe is not configured (STRIPE_SECRET_KEY is not set)."


CALLS: dict[str, Callable[[StripeGateway], object]] = {
    "setup_intent_retrieve": lambda stripe: stripe.setup_intent_retrieve("seti_missing"),
    "payment_intent_create": lambda stripe: stripe.payment_intent_create(
        amount_cents=1000,
        currency="EUR",
        customer="cus_missing",
        payment_method="pm_missing",
        method_type="card",
        off_session=True,
        metadata={},
        idempotency_key="k-intent",
    ),
    "payment_intent_retrieve": lambda stripe: stripe.payment_intent_retrieve("pi_missing"),
    "balance_transaction_fee_cents": lambda stripe: stripe.balance_transaction_fee_cents(
        "txn_missing"
    ),
    "refund_create": lambda stripe: stripe.refund_create(
        payment_intent_id="pi_missing", amount_cents=500, currency="EUR", idempotency_key="k-r"
    ),
    "refund_list": lambda stripe: stripe.refund_list(payment_intent_id="pi_missing"),
    "dispute_retrieve": lambda stripe: stripe.dispute_retrieve("dp_missing"),
    "charge_payment_intent_id": lambda stripe: stripe.charge_payment_intent_id("ch_missing"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_call_stripe_refuses_raises_gateway_error(localstripe: str, call: str) -> None:
    with pytest.raises(GatewayError) as caught:
        CALLS[call](gateway())
    # localstripe answers 404 for an unknown object, and has no disputes at all:
    # a retrieve of an object Stripe does not know says so (retrying cannot help).
    expected = NOT_FOUND.get(call, "Not Found")
    assert (type(caught.value).__name__, str(caught.value)) == (
        "GatewayNotFoundError" if call in NOT_FOUND else "GatewayError",
        expected,
    )


NOT_FOUND = {
    "charge_payment_intent_id": "Stripe does not know ch_missing.",
    "dispute_retrieve": "Stripe does not know dp_missing.",
    "payment_intent_retrieve": "Stripe does not know pi_missing.",
}


def _unreachable(webhook_secret: str = STRIPE_WEBHOOK_SECRET) -> StripeGateway:
    return StripeGateway(
        secret_key="sk_test_unreachable",
        api_base="http://127.0.0.1:9",
        webhook_secret=webhook_secret,
    )


UNREACHABLE_CALLS: dict[str, Callable[[StripeGateway], object]] = {
    "customer_create": lambda stripe: stripe.customer_create(
        email="a@example.org", name="A", idempotency_key="k-customer"
    ),
    "setup_intent_create": lambda stripe: stripe.setup_intent_create(
        customer="cus_1", method_type="card", metadata={}, idempotency_key="k-setup"
    ),
    "payment_intent_list": lambda stripe: stripe.payment_intent_list(created_gte=0),
    "event_list": lambda stripe: stripe.event_list(created_gte=0),
    "payment_intent_retrieve": lambda stripe: stripe.payment_intent_retrieve("pi_1"),
    "dispute_retrieve": lambda stripe: stripe.dispute_retrieve("dp_1"),
    "charge_payment_intent_id": lambda stripe: stripe.charge_payment_intent_id("ch_1"),
}


@pytest.mark.parametrize("call", sorted(UNREACHABLE_CALLS))
def test_stripe_out_of_reach_raises_gateway_error(call: str) -> None:
    with pytest.raises(GatewayError) as caught:
        UNREACHABLE_CALLS[call](_unreachable())
    assert str(caught.value).startswith("Unexpected error communicating with Stripe.")


@pytest.fixture
def silent_stripe() -> Iterator[tuple[str, list[socket.socket]]]:
    """A Stripe that takes every connection and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    taken: list[socket.socket] = []

    def take() -> None:
        with contextlib.suppress(OSError):  # the listener closed: the test is over
            while True:
                taken.append(listener.accept()[0])

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", taken
    finally:
        listener.close()
        for connection in taken:
            connection.close()


def test_a_stripe_that_never_answers_gives_up_after_the_timeout(
    settings: Any, silent_stripe: tuple[str, list[socket.socket]]
) -> None:
    """Each attempt waits `STRIPE_TIMEOUT_SECONDS`, not the SDK's 80 s: the
    payment page answers "try again" instead of holding its worker for minutes."""
    url, taken = silent_stripe
    settings.USE_STRIPE = True
    settings.STRIPE_SECRET_KEY = "sk_test_silent"
    settings.STRIPE_API_BASE = url
    settings.STRIPE_TIMEOUT_SECONDS = 1
    caught: list[BaseException] = []

    def call() -> None:
        try:
            gateway().customer_create(email="a@example.org", name="A", idempotency_key="k-s")
        except GatewayError as error:
            caught.append(error)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(timeout=60)  # three attempts of 1 s and the SDK's back-off
    assert not worker.is_alive(), "still waiting for Stripe after 60 s"
    assert len(taken) == 3  # the first attempt and two retries
    assert len(caught) == 1
    assert "timed out" in str(caught[0])


def test_a_webhook_is_refused_without_a_secret_or_an_event() -> None:
    with pytest.raises(SignatureError) as no_secret:
        _unreachable(webhook_secret="").event_verify(payload=b"{}", signature_header="t=1,v1=x")
    not_event = b'{"id": "evt_1", "object": "event"}'
    with pytest.raises(EventFormatError) as not_an_event:
        _unreachable().event_verify(payload=not_event, signature_header=sign(not_event))
    assert (str(no_secret.value), str(not_an_event.value)) == (
        "No webhook secret is configured.",
        '"data.object" must be an object.',
    )


# --- Answers localstripe never gives, from a canned Stripe on loopback --------------

NOW = 1_700_000_000
CANNED: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {
    ("POST", "/v1/payment_intents"): (
        402,
        {
            "error": {
                "type": "card_error",
                "code": "card_declined",
                "message": "Your card was declined.",
                "payment_intent": {"id": "pi_declined", "object": "payment_intent"},
            }
        },
    ),
    ("GET", "/v1/disputes/dp_1"): (
        200,
        {
            "id": "dp_1",
            "object": "dispute",
            "status": "lost",
            "amount": 5000,
            "currency": "eur",
            "payment_intent": "pi_1",
            "balance_transactions": [{"fee": 1500}, {"fee": 0}],
        },
    ),
}


def _intent(intent_id: str, created: int) -> dict[str, Any]:
    return {
        "id": intent_id,
        "object": "payment_intent",
        "status": "succeeded",
        "amount": 5000,
        "currency": "eur",
        "created": created,
    }


class _CannedStripe(BaseHTTPRequestHandler):
    def _answer(self, method: str) -> None:
        url = urlsplit(self.path)
        if (method, url.path) == ("GET", "/v1/payment_intents"):
            after = parse_qs(url.query).get("starting_after")
            page = [_intent("pi_old", NOW - 10)] if after else [_intent("pi_new", NOW + 10)]
            status, body = 200, {"object": "list", "data": page, "has_more": True, "url": url.path}
        else:
            status, body = CANNED[(method, url.path)]
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 -- http.server's name
        """Quiet."""


_Server = TypeVar("_Server", bound=ThreadingHTTPServer)


@contextlib.contextmanager
def _serving(server: _Server) -> Iterator[_Server]:
    """`server` answering in a thread of its own for the block, then closed."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def canned_stripe() -> Iterator[StripeGateway]:
    with _serving(ThreadingHTTPServer(("127.0.0.1", 0), _CannedStripe)) as server:
        yield StripeGateway(
            secret_key="sk_test_canned",
            api_base=f"http://127.0.0.1:{server.server_port}",
            webhook_secret=STRIPE_WEBHOOK_SECRET,
        )


def test_a_declined_charge_names_the_intent_stripe_made(canned_stripe: StripeGateway) -> None:
    with pytest.raises(GatewayCardError) as caught:
        canned_stripe.payment_intent_create(
            amount_cents=5000,
            currency="EUR",
            customer="cus_1",
            payment_method="pm_1",
            method_type="card",
            off_session=True,
            metadata={},
            idempotency_key="k-declined",
        )
    assert (caught.value.code, caught.value.message, caught.value.payment_intent_id) == (
        "card_declined",
        "Your card was declined.",
        "pi_declined",
    )


def test_a_dispute_is_read_with_its_fees(canned_stripe: StripeGateway) -> None:
    assert canned_stripe.dispute_retrieve("dp_1") == DisputeState(
        id="dp_1", status="lost", amount_cents=5000, payment_intent_id="pi_1", fee_cents=1500
    )


def test_intents_are_listed_page_by_page_until_none_is_recent(
    canned_stripe: StripeGateway,
) -> None:
    assert [intent.id for intent in canned_stripe.payment_intent_list(created_gte=NOW)] == [
        "pi_new"
    ]


# --- One gateway, and one kept-alive connection, per process -----------------------


class _KeptAliveStripe(_CannedStripe):
    protocol_version = "HTTP/1.1"  # keeps the connection open between answers


class _CountingServer(ThreadingHTTPServer):
    """The canned Stripe, counting the connections its clients open."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _KeptAliveStripe)
        self.connections = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections += 1
        super().process_request(request, client_address)


@pytest.fixture
def counting_stripe(settings: Any) -> Iterator[_CountingServer]:
    """The settings point at a canned Stripe that counts connections."""
    with _serving(_CountingServer()) as server:
        settings.USE_STRIPE = True
        settings.STRIPE_SECRET_KEY = "sk_test_kept"
        settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_port}"
        yield server


def test_calls_share_one_gateway_and_one_connection(
    settings: Any, counting_stripe: _CountingServer
) -> None:
    """A renewal run calls Stripe once per charge: each call on a connection of
    its own would pay a TLS handshake every time."""
    first = gateway()
    for _ in range(3):
        assert gateway().dispute_retrieve("dp_1").fee_cents == 1500
    assert gateway() is first
    assert counting_stripe.connections == 1
    settings.STRIPE_SECRET_KEY = "sk_test_other"  # other settings, another gateway
    other = gateway()
    other.dispute_retrieve("dp_1")
    assert other is not first
    assert counting_stripe.connections == 2


def test_a_forked_worker_makes_a_gateway_of_its_own(counting_stripe: _CountingServer) -> None:
    """A worker forked after its parent called Stripe never writes to the
    parent's connection (both would read each other's answers)."""
    parent = gateway()
    parent.dispute_retrieve("dp_1")
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)

    def child() -> None:
        own = gateway()
        writer.send((own is parent, own.dispute_retrieve("dp_1").fee_cents))

    process = context.Process(target=child)
    process.start()
    try:
        assert reader.poll(30), "the forked worker did not answer within 30 s"
        assert reader.recv() == (False, 1500)
    finally:
        process.join(30)
    assert process.exitcode == 0
    assert counting_stripe.connections == 2  # the parent's, then the child's own
    assert gateway() is parent
