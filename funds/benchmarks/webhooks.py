"""The webhook benchmark (issue 16), for `manage.py bench_money`: signed
`payment_intent.succeeded` events POSTed through the project's middleware by
Django's test client (in this process, no network), each stored by the webhook
and booked by its task's work (`stripe_event_handle`, run here as a worker
would), against a hello-world POST through the same middleware and client.
Stripe answers at once (`BenchStripe`): our side is measured. Everything is
built and booked in a transaction rolled back at the end."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import TextIO

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
from funds.enums import PaymentMethod, PaymentStatus
from funds.models import Payment, StripeEvent
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


def run(stdout: TextIO, events: int) -> None:
    """Book `events` webhook events and print events per second as a ratio to
    hello-world POSTs, and the statements per booking."""
    token = uuid.uuid4().hex[:8]
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    with (
        transaction.atomic(),
        use_gateway(BenchStripe()),
        override_settings(
            USE_STRIPE=True, ROOT_URLCONF="funds.benchmarks.urls", ALLOWED_HOSTS=hosts
        ),
    ):
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

        started = time.perf_counter()
        for _event_id, payload, _sig in deliveries:
            client.post("/hello/", data=payload, content_type="application/json", secure=True)
        hello = events / (time.perf_counter() - started)

        counter = Counter()
        booked = 0
        started = time.perf_counter()
        for event_id, payload, signature in deliveries:
            client.post(
                "/webhooks/stripe/",
                data=payload,
                content_type="application/json",
                secure=True,
                HTTP_STRIPE_SIGNATURE=signature,
            )
            stored = StripeEvent.objects.values_list("pk", flat=True).get(stripe_event_id=event_id)
            with connection.execute_wrapper(counter):
                booked += stripe_event_handle(event_id=stored)
        rate = events / (time.perf_counter() - started)
        transaction.set_rollback(True)
    ratio = rate / hello
    stdout.write(
        f"webhooks: {booked}/{events} booked; {rate:.1f} events/s (webhook POST + booking task) "
        f"vs {hello:.1f} hello-world POSTs/s (Django test client, same middleware) = "
        f"{ratio:.3f} x ({'PASS' if ratio >= BAR else 'FAIL'} >= {BAR} x); "
        f"{counter.queries / events:.1f} statements per booking task "
        "(its transaction a savepoint here)\n"
    )
