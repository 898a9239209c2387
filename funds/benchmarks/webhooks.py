"""The webhook benchmark (issue 16), for `manage.py bench_money`: signed
`payment_intent.succeeded` events POSTed through the project's middleware by
Django's test client (in this process, no network), against a hello-world POST
through the same middleware and client. Stripe answers at once
(`BenchStripe`): our side is measured.

`run_committed` measures as production runs, each POST's transaction
committed: the webhook stores the event and answers (its task's enqueue is
recorded, not sent to a broker), the bar's figure; beside it, the booking
task's work (`stripe_event_handle`) on the stored events, one at a time as a
worker takes them, each booking committed. `run` is the older measure: every
POST and its booking together, in one transaction rolled back at the end (no
commit at all)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import TextIO
from unittest import mock

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings

from contributors.enums import PledgeFrequency
from funds.benchmarks.common import (
    AMOUNT_CENTS,
    WEBHOOK_SECRET,
    BenchStripe,
    Counter,
    accounts_ready,
    pledges,
)
from funds.benchmarks.database import Committed
from funds.enums import PaymentMethod, PaymentStatus
from funds.models import Payment, StripeEvent
from funds.stripe import webhooks
from funds.stripe.client import use_gateway
from funds.stripe.webhooks import stripe_event_handle

BAR = 0.15


def _payload(event_id: str, intent_id: str) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "payment_intent.succeeded",
            "livemode": False,
            "created": int(time.time()),
            "data": {"object": {"id": intent_id, "object": "payment_intent"}},
        }
    ).encode()


def _signature(payload: bytes) -> str:
    timestamp = int(time.time())
    digest = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


Delivery = tuple[str, bytes, str]


def _deliveries(events: int, token: str) -> list[Delivery]:
    """`events` pending card payments, each with its signed event (id, body, signature)."""
    accounts_ready()
    made = pledges(events, frequency=PledgeFrequency.ONE_TIME, token=token)
    payments = Payment.objects.bulk_create(
        Payment(
            pledge=pledge,
            method=PaymentMethod.CARD,
            status=PaymentStatus.PENDING,
            amount_cents=AMOUNT_CENTS,
            idempotency_key=f"bench-{token}-{i}",
            stripe_payment_intent_id=f"pi_bench_{token}_{i}",
        )
        for i, pledge in enumerate(made)
    )
    deliveries = []
    for i, payment in enumerate(payments):
        payload = _payload(f"evt_bench_{token}_{i}", payment.stripe_payment_intent_id or "")
        deliveries.append((f"evt_bench_{token}_{i}", payload, _signature(payload)))
    return deliveries


def _hello_rate(client: Client, deliveries: list[Delivery]) -> float:
    started = time.perf_counter()
    for _event_id, payload, _sig in deliveries:
        client.post("/hello/", data=payload, content_type="application/json", secure=True)
    return len(deliveries) / (time.perf_counter() - started)


def _post(client: Client, delivery: Delivery) -> None:
    _event_id, payload, signature = delivery
    response = client.post(
        "/webhooks/stripe/",
        data=payload,
        content_type="application/json",
        secure=True,
        HTTP_STRIPE_SIGNATURE=signature,
    )
    assert response.status_code == 200, response.content  # noqa: S101, PLR2004 -- stored


def _served() -> override_settings:
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    return override_settings(
        USE_STRIPE=True, ROOT_URLCONF="funds.benchmarks.urls", ALLOWED_HOSTS=hosts
    )


def run_committed(stdout: TextIO, events: int) -> None:
    """POST `events` webhook events, each stored and committed, and print POSTs
    per second as a ratio to hello-world POSTs (the bar), then book them as the
    task does, each booking committed, and print bookings per second."""
    token = uuid.uuid4().hex[:8]
    client = Client()
    with use_gateway(BenchStripe()), _served():
        deliveries = _deliveries(events, token)
        hello = _hello_rate(client, deliveries)
        queued: list[int] = []
        posts = Committed()
        # The task's enqueue (after the commit) is recorded here, not sent.
        with mock.patch.object(webhooks, "_enqueue_handling", queued.append), posts.counting():
            started = time.perf_counter()
            for delivery in deliveries:
                _post(client, delivery)
            rate = events / (time.perf_counter() - started)
        bookings = Committed()
        with bookings.counting():
            started = time.perf_counter()
            booked = sum(stripe_event_handle(event_id=event_id) for event_id in queued)
            booking_rate = events / (time.perf_counter() - started)
    ratio = rate / hello
    stdout.write(
        f"webhooks, committed: {events} events POSTed, stored and answered: {rate:.1f} POSTs/s "
        f"vs {hello:.1f} hello-world POSTs/s (Django test client, same middleware; the "
        f"booking task enqueued after the commit, recorded, not sent) = {ratio:.3f} x "
        f"({'PASS' if ratio >= BAR else 'FAIL'} >= {BAR} x); {posts.queries / events:.1f} "
        f"statements and {posts.commits / events:.1f} commits per POST\n"
        f"webhook bookings, committed: {booked}/{events} booked by the task's work, one event "
        f"at a time: {booking_rate:.1f} events/s; {bookings.queries / events:.1f} statements "
        f"and {bookings.commits / events:.1f} commits per booking (bar <= 15 statements)\n"
    )


def run(stdout: TextIO, events: int) -> None:
    """The older measure: book `events` webhook events, each POST with its
    booking, in one transaction rolled back, and print events per second as a
    ratio to hello-world POSTs, and the statements per booking."""
    token = uuid.uuid4().hex[:8]
    client = Client()
    with transaction.atomic(), use_gateway(BenchStripe()), _served():
        deliveries = _deliveries(events, token)
        hello = _hello_rate(client, deliveries)

        counter = Counter()
        booked = 0
        started = time.perf_counter()
        for delivery in deliveries:
            event_id = delivery[0]
            _post(client, delivery)
            stored = StripeEvent.objects.values_list("pk", flat=True).get(stripe_event_id=event_id)
            with connection.execute_wrapper(counter):
                booked += stripe_event_handle(event_id=stored)
        rate = events / (time.perf_counter() - started)
        transaction.set_rollback(True)
    ratio = rate / hello
    stdout.write(
        f"webhooks, old style (one transaction rolled back, no commit): {booked}/{events} "
        f"booked; {rate:.1f} events/s (webhook POST + booking task) "
        f"vs {hello:.1f} hello-world POSTs/s (Django test client, same middleware) = "
        f"{ratio:.3f} x ({'PASS' if ratio >= BAR else 'FAIL'} >= {BAR} x); "
        f"{counter.queries / events:.1f} statements per booking task "
        "(its transaction a savepoint here)\n"
    )
