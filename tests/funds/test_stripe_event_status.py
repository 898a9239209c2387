"""Each stored Stripe event records how its handling went: succeeded, ignored,
or failed with the error, the record surviving the rollback of the effects."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client, TestCase
from django.utils import timezone

from funds.enums import PaymentEventSource, PaymentStatus, StripeEventStatus
from funds.models import Payment, Refund, StripeEvent
from funds.services import payment_succeed
from funds.stripe.client import DisputeState, EventState, GatewayError, StripeGateway, use_gateway
from funds.stripe.webhooks import stripe_event_handle, stripe_event_process
from funds.tasks import handle_stripe_event
from tests.factories.contributors import PledgeFactory
from tests.factories.funds import PaymentFactory
from tests.tasks import queued_tasks

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
WEBHOOK_SECRET = "whsec_status_tests"
SOURCE = PaymentEventSource.STRIPE_WEBHOOK


class DisputeStripe(StripeGateway):
    """Stripe's answers about disputes, at the network edge; `down` makes it unreachable."""

    def __init__(self, disputes: dict[str, DisputeState], *, down: bool = False) -> None:
        super().__init__(
            secret_key="sk_test_status",
            api_base="http://127.0.0.1:9",
            webhook_secret=WEBHOOK_SECRET,
        )
        self.disputes = disputes
        self.down = down

    def dispute_retrieve(self, dispute_id: str) -> DisputeState:
        if self.down:
            raise GatewayError("Stripe is unreachable")
        return self.disputes[dispute_id]


def card_payment(*, intent: str, succeeded: bool) -> Payment:
    payment = PaymentFactory.create(
        pledge=PledgeFactory.create(amount_cents=5000), stripe_payment_intent_id=intent
    )
    if succeeded:
        payment_succeed(
            payment=payment,
            gross_cents=5000,
            processor_fee_cents=0,
            received_at=datetime(2026, 3, 5, tzinfo=UTC),
            source=SOURCE,
        )
    return payment


def dispute_event(event_id: str, dispute_id: str = "dp_1") -> EventState:
    return EventState(
        id=event_id,
        type="charge.dispute.created",
        livemode=False,
        object_id=dispute_id,
        created=int(time.time()),
    )


def record(event_id: str) -> tuple[str, str, bool]:
    stored = StripeEvent.objects.get(stripe_event_id=event_id)
    return stored.status, stored.error, stored.handled_at is not None


def test_an_event_with_effects_is_recorded_succeeded() -> None:
    card_payment(intent="pi_ok", succeeded=True)
    disputes = {"dp_1": DisputeState("dp_1", "needs_response", 5000, "pi_ok", 0)}

    with use_gateway(DisputeStripe(disputes)):
        assert stripe_event_process(event=dispute_event("evt_ok"), source=SOURCE) is True
        assert stripe_event_process(event=dispute_event("evt_ok"), source=SOURCE) is False

    assert record("evt_ok") == (StripeEventStatus.SUCCEEDED, "", True)
    assert Refund.objects.get().status == "pending"


def test_an_event_with_nothing_of_ours_is_recorded_ignored() -> None:
    unhandled = EventState("evt_customer", "customer.created", False, "cus_1", int(time.time()))
    foreign = {"dp_9": DisputeState("dp_9", "needs_response", 700, "pi_not_ours", 0)}

    with use_gateway(DisputeStripe(foreign)):
        assert stripe_event_process(event=unhandled, source=SOURCE) is True
        assert stripe_event_process(event=dispute_event("evt_foreign", "dp_9"), source=SOURCE)

    assert record("evt_customer") == (StripeEventStatus.IGNORED, "", True)
    assert record("evt_foreign") == (StripeEventStatus.IGNORED, "", True)
    assert Refund.objects.count() == 0


def test_a_refused_event_is_recorded_failed_with_the_error_and_its_effects_undone() -> None:
    payment = card_payment(intent="pi_pending", succeeded=False)
    disputes = {"dp_1": DisputeState("dp_1", "needs_response", 5000, "pi_pending", 0)}

    with use_gateway(DisputeStripe(disputes)):
        assert stripe_event_process(event=dispute_event("evt_refused"), source=SOURCE) is True

    assert record("evt_refused") == (
        StripeEventStatus.FAILED,
        f"PaymentError: Payment #{payment.pk} has not succeeded (created).",
        True,
    )
    assert Refund.objects.count() == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CREATED


def test_a_crash_is_recorded_failed_outside_the_rollback_then_handled_again() -> None:
    card_payment(intent="pi_ok", succeeded=True)
    disputes = {"dp_1": DisputeState("dp_1", "needs_response", 5000, "pi_ok", 0)}

    with (
        use_gateway(DisputeStripe(disputes, down=True)),
        pytest.raises(GatewayError, match="unreachable"),
    ):
        stripe_event_process(event=dispute_event("evt_crash"), source=SOURCE)

    assert record("evt_crash") == (
        StripeEventStatus.FAILED,
        "GatewayError: Stripe is unreachable",
        True,
    )
    assert Refund.objects.count() == 0

    with use_gateway(DisputeStripe(disputes)):
        assert stripe_event_process(event=dispute_event("evt_crash"), source=SOURCE) is True
        assert stripe_event_process(event=dispute_event("evt_crash"), source=SOURCE) is False

    assert record("evt_crash") == (StripeEventStatus.SUCCEEDED, "", True)
    assert StripeEvent.objects.count() == 1
    assert Refund.objects.count() == 1


def _signed_webhook(payload: bytes) -> Any:
    timestamp = int(time.time())
    digest = hmac.new(
        WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return Client().post(
        "/webhooks/stripe/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=f"t={timestamp},v1={digest}",
    )


def test_the_webhook_answers_at_once_and_its_task_keeps_a_crash_as_failed(
    settings: Any,
) -> None:
    """The webhook stores the event and enqueues its handling; Stripe down in
    the task: the failure is kept and raised (the task retries), a redelivery
    takes it again, and the next handling books it once."""
    settings.USE_STRIPE = True
    card_payment(intent="pi_ok", succeeded=True)
    payload = json.dumps(
        {
            "id": "evt_http",
            "object": "event",
            "type": "charge.dispute.created",
            "livemode": False,
            "created": int(time.time()),
            "data": {"object": {"id": "dp_1", "object": "dispute"}},
        }
    ).encode()
    disputes = {"dp_1": DisputeState("dp_1", "needs_response", 5000, "pi_ok", 0)}

    with (
        use_gateway(DisputeStripe(disputes, down=True)),
        queued_tasks(handle_stripe_event, run=False) as queued,
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        response = _signed_webhook(payload)
        again = _signed_webhook(payload)  # not handled yet: a no-op

    assert (response.status_code, response.json()) == (200, {"received": True, "new": True})
    assert again.json() == {"received": True, "new": False}
    assert record("evt_http") == (StripeEventStatus.RECEIVED, "", False)
    stored = StripeEvent.objects.get(stripe_event_id="evt_http")
    assert queued == [{"event_id": stored.pk}]
    with (
        use_gateway(DisputeStripe(disputes, down=True)),
        pytest.raises(GatewayError, match="unreachable"),
    ):
        stripe_event_handle(event_id=stored.pk)
    assert record("evt_http") == (
        StripeEventStatus.FAILED,
        "GatewayError: Stripe is unreachable",
        True,
    )
    assert Refund.objects.count() == 0

    with (
        use_gateway(DisputeStripe(disputes)),
        queued_tasks(handle_stripe_event, at_once=True),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        assert _signed_webhook(payload).json() == {"received": True, "new": True}
    assert record("evt_http") == (StripeEventStatus.SUCCEEDED, "", True)
    assert stripe_event_handle(event_id=stored.pk) is False
    assert stripe_event_handle(event_id=stored.pk + 1000) is False
    assert Refund.objects.count() == 1


def test_the_admin_shows_status_and_error_read_only(administrator: Client) -> None:
    event = StripeEvent.objects.create(
        stripe_event_id="evt_admin",
        type="charge.dispute.created",
        source=SOURCE,
        received_at=timezone.now() - timedelta(minutes=1),
        status=StripeEventStatus.FAILED,
        error="GatewayError: Stripe is unreachable",
        handled_at=timezone.now(),
    )
    StripeEvent.objects.create(
        stripe_event_id="evt_fine",
        type="charge.dispute.created",
        source=SOURCE,
        received_at=timezone.now(),
        status=StripeEventStatus.SUCCEEDED,
    )

    failed = administrator.get("/en/admin/funds/stripeevent/?status__exact=failed")
    detail = administrator.get(f"/en/admin/funds/stripeevent/{event.pk}/change/")
    refused = administrator.post(
        f"/en/admin/funds/stripeevent/{event.pk}/change/", {"status": "succeeded"}
    )

    assert failed.status_code == 200
    assert ("evt_admin" in failed.text, "evt_fine" in failed.text) == (True, False)
    assert detail.status_code == 200
    assert "GatewayError: Stripe is unreachable" in detail.text
    assert refused.status_code == 403
    event.refresh_from_db()
    assert event.status == StripeEventStatus.FAILED


class FinishedMeanwhileStripe(DisputeStripe):
    """Another worker handles the event while this one is asking Stripe."""

    def dispute_retrieve(self, dispute_id: str) -> DisputeState:
        StripeEvent.objects.update(status=StripeEventStatus.SUCCEEDED, handled_at=timezone.now())
        return super().dispute_retrieve(dispute_id)


def test_an_event_another_worker_handled_meanwhile_is_not_handled_twice() -> None:
    card_payment(intent="pi_ok", succeeded=True)
    disputes = {"dp_1": DisputeState("dp_1", "needs_response", 5000, "pi_ok", 0)}
    StripeEvent.objects.create(
        stripe_event_id="evt_twice",
        type="charge.dispute.created",
        object_id="dp_1",
        source=SOURCE,
        received_at=timezone.now(),
    )
    stored = StripeEvent.objects.get()

    with use_gateway(FinishedMeanwhileStripe(disputes)):
        assert stripe_event_handle(event_id=stored.pk) is False

    assert Refund.objects.count() == 0
