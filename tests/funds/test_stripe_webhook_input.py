"""Validly signed webhooks that are not events we can store (issue 9, findings
5 and 14): a clear 400 and nothing stored; an event about an object Stripe
does not know is answered 200 and recorded as ignored with its reason; a
signature timestamp more than 300 s away, past or future, is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine
from django.test import Client

from funds.enums import StripeEventStatus
from funds.models import Payment, Receipt, StripeEvent
from tests.funds.conftest import (
    STRIPE_PUBLISHABLE_KEY,
    STRIPE_SECRET_KEY,
    STRIPE_WEBHOOK_SECRET,
)
from tests.funds.test_stripe_webhooks import event_payload, post, sign

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
NOW = 1_790_000_000


@pytest.fixture
def signed_stripe(settings: Any) -> None:
    """Stripe configured with our webhook secret; nothing here reaches Stripe."""
    settings.USE_STRIPE = True
    settings.STRIPE_SECRET_KEY = STRIPE_SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = STRIPE_PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"


def event(**changes: Any) -> dict[str, Any]:
    """A well-formed event about nothing of ours, with `changes` applied
    (a value of `...` removes the key)."""
    body: dict[str, Any] = {
        "id": "evt_input",
        "object": "event",
        "type": "customer.created",
        "livemode": False,
        "created": NOW,
        "data": {"object": {"id": "cus_1", "object": "customer"}},
    }
    for key, value in changes.items():
        if value is ...:
            del body[key]
        else:
            body[key] = value
    return body


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


MALFORMED: list[Any] = [
    pytest.param(body([]), "The body is not a JSON object.", id="list"),
    pytest.param(body("evt"), "The body is not a JSON object.", id="string"),
    pytest.param(body(None), "The body is not a JSON object.", id="null"),
    pytest.param(b"{not json", "The body is not JSON.", id="not-json"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, "The body is not JSON.", id="nested-100000"),
    pytest.param(body(event(id="e" * 400)), '"id" is longer than 255 characters.', id="id-400"),
    pytest.param(body(event(id=...)), '"id" must be a non-empty string.', id="id-missing"),
    pytest.param(body(event(id="")), '"id" must be a non-empty string.', id="id-empty"),
    pytest.param(body(event(id=7)), '"id" must be a non-empty string.', id="id-number"),
    pytest.param(body(event(type=...)), '"type" must be a non-empty string.', id="type-missing"),
    pytest.param(body(event(type=["x"])), '"type" must be a non-empty string.', id="type-list"),
    pytest.param(
        body(event(type="t" * 101)), '"type" is longer than 100 characters.', id="type-101"
    ),
    pytest.param(body(event(created=10**15)), '"created" is not a time.', id="created-10e15"),
    pytest.param(body(event(created=-1)), '"created" is not a time.', id="created-negative"),
    pytest.param(
        body(event(created="now")), '"created" must be a whole number.', id="created-string"
    ),
    pytest.param(body(event(created=True)), '"created" must be a whole number.', id="created-bool"),
    pytest.param(
        body(event(livemode="no")), '"livemode" must be true or false.', id="livemode-string"
    ),
    pytest.param(body(event(data=...)), '"data.object" must be an object.', id="data-missing"),
    pytest.param(body(event(data=[])), '"data.object" must be an object.', id="data-list"),
    pytest.param(
        body(event(data={"object": "cus_1"})), '"data.object" must be an object.', id="object-str"
    ),
    pytest.param(
        body(event(data={"object": {"id": 12}})),
        '"data.object.id" must be a string.',
        id="object-id-number",
    ),
    pytest.param(
        body(event(data={"object": {"id": "o" * 256}})),
        '"data.object.id" is longer than 255 characters.',
        id="object-id-256",
    ),
]


@pytest.mark.usefixtures("signed_stripe")
@pytest.mark.parametrize(("payload", "reason"), MALFORMED)
def test_a_signed_body_that_is_no_event_gets_400_with_its_reason(
    payload: bytes, reason: str
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = post(Client(), payload, sign(payload))

    assert (response.status_code, response.content.decode()) == (
        400,
        f"malformed event: {reason}",
    )
    assert StripeEvent.objects.count() == 0


@pytest.mark.usefixtures("signed_stripe")
def test_a_well_formed_event_of_the_longest_lengths_is_stored() -> None:
    longest = event(
        id="e" * 255,
        type="t" * 100,
        data={"object": {"id": "o" * 255}},
        created=NOW + 300,
    )
    payload = body(longest)

    with time_machine.travel(NOW, tick=False):
        response = post(Client(), payload, sign(payload))

    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert (len(stored.stripe_event_id), len(stored.type), len(stored.object_id)) == (255, 100, 255)
    assert stored.status == StripeEventStatus.IGNORED


@pytest.mark.usefixtures("signed_stripe")
def test_an_event_about_an_object_without_id_is_stored_without_one() -> None:
    payload = body(event(type="balance.available", data={"object": {"object": "balance"}}))

    with time_machine.travel(NOW, tick=False):
        response = post(Client(), payload, sign(payload))

    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert (stored.type, stored.object_id, stored.status) == (
        "balance.available",
        "",
        StripeEventStatus.IGNORED,
    )


@pytest.mark.usefixtures("signed_stripe")
def test_an_event_created_after_the_tolerance_is_refused() -> None:
    payload = body(event(created=NOW + 301))

    with time_machine.travel(NOW, tick=False):
        response = post(Client(), payload, sign(payload))

    assert (response.status_code, response.content.decode()) == (
        400,
        'malformed event: "created" is not a time.',
    )
    assert StripeEvent.objects.count() == 0


@pytest.mark.usefixtures("signed_stripe")
@pytest.mark.parametrize(
    ("offset", "status", "stored"),
    [
        pytest.param(+3600, 400, 0, id="future-3600"),
        pytest.param(+301, 400, 0, id="future-301"),
        pytest.param(+300, 200, 1, id="future-300"),
        pytest.param(+299, 200, 1, id="future-299"),
        pytest.param(-299, 200, 1, id="past-299"),
        pytest.param(-300, 200, 1, id="past-300"),
        pytest.param(-301, 400, 0, id="past-301"),
    ],
)
def test_a_signature_timestamp_is_accepted_within_300_seconds_both_ways(
    offset: int, status: int, stored: int
) -> None:
    payload = body(event())

    with time_machine.travel(NOW, tick=False):
        response = post(Client(), payload, sign(payload, at=NOW + offset))

    assert response.status_code == status
    if status == 400:
        assert (
            response.content.decode()
            == f"invalid signature: Timestamp outside the tolerance zone ({NOW + offset})"
        )
    assert StripeEvent.objects.count() == stored


@pytest.mark.parametrize(
    ("event_type", "object_id", "reason"),
    [
        pytest.param(
            "payment_intent.succeeded",
            "pi_unknown",
            "GatewayNotFoundError: Stripe does not know pi_unknown.",
            id="intent",
        ),
        pytest.param(
            "charge.refunded",
            "ch_unknown",
            "GatewayNotFoundError: Stripe does not know ch_unknown.",
            id="charge",
        ),
    ],
)
def test_an_event_about_an_object_stripe_does_not_know_is_recorded_ignored(
    localstripe: str, event_type: str, object_id: str, reason: str
) -> None:
    payload = event_payload("evt_unknown", event_type, object_id)

    first = post(Client(), payload, sign(payload))
    again = post(Client(), payload, sign(payload))

    assert (first.status_code, first.json()) == (200, {"received": True, "new": True})
    assert (again.status_code, again.json()) == (200, {"received": True, "new": False})
    stored = StripeEvent.objects.get()
    assert (stored.stripe_event_id, stored.type, stored.object_id) == (
        "evt_unknown",
        event_type,
        object_id,
    )
    assert (stored.status, stored.error, stored.handled_at is not None) == (
        StripeEventStatus.IGNORED,
        reason,
        True,
    )
    assert (Payment.objects.count(), Receipt.objects.count()) == (0, 0)
