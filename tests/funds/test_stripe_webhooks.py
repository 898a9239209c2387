"""Stripe webhooks: signatures, once-only storage, re-fetching, order, and
localstripe's own signed deliveries to our live server."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, TestCase

from contributors.models import Pledge
from funds.enums import AccountKind, PaymentMethod, PaymentStatus
from funds.models import Journal, Payment, Receipt, Refund, StripeEvent
from funds.selectors import account_balance_cents, books_check
from funds.services import payment_attach_stripe_intent, payment_create
from funds.stripe.client import (
    DisputeState,
    GatewayCardError,
    StripeGateway,
    gateway,
    use_gateway,
)
from funds.stripe.services import _payment_claim, stripe_checkout_start
from funds.tasks import handle_stripe_event
from tests import services
from tests.factories.contributors import PledgeFactory
from tests.funds.conftest import STRIPE_WEBHOOK_SECRET, localstripe_call
from tests.funds.test_stripe_payments import (
    CARD_CHARGE_DECLINED,
    CARD_OK,
    IBAN_OK,
    confirm_setup,
    pay,
)
from tests.tasks import queued_tasks

pytestmark = [pytest.mark.integration]
WEBHOOK_URL = "/webhooks/stripe/"


def sign(payload: bytes, *, at: int | None = None, secret: str = STRIPE_WEBHOOK_SECRET) -> str:
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def event_payload(
    event_id: str, event_type: str, object_id: str, *, livemode: bool = False
) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "livemode": livemode,
            "created": int(time.time()),
            "data": {"object": {"id": object_id, "object": event_type.split(".")[0]}},
        }
    ).encode()


def post(client: Client, payload: bytes, signature: str) -> Any:
    """Deliver a webhook; the handling task it enqueues once the event is
    stored runs at once, as a worker would."""
    with (
        queued_tasks(handle_stripe_event, at_once=True),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        return client.post(
            WEBHOOK_URL,
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
        )


def charged_behind_our_back(base: str, *, card: str = CARD_OK, amount: int = 5000) -> Payment:
    """A payment Stripe charged whose outcome we have not applied yet (as if
    the answer was lost): only a webhook or reconciliation can book it."""
    pledge = PledgeFactory.create(amount_cents=amount)
    start = stripe_checkout_start(pledge=pledge, email="alice@example.org")
    confirm_setup(base, start.client_secret, card=card)
    setup = gateway().setup_intent_retrieve(start.setup_intent_id)
    Pledge.objects.filter(pk=pledge.pk).update(stripe_payment_method_id=setup.payment_method)
    payment = payment_create(
        pledge=pledge,
        method=PaymentMethod.CARD,
        amount_cents=amount,
        idempotency_key=f"pledge_{pledge.pk}_once_1",
    )
    assert _payment_claim(payment=payment, resume=False)
    try:
        intent_id = (
            gateway()
            .payment_intent_create(
                amount_cents=amount,
                currency="EUR",
                customer=setup.customer or "",
                payment_method=setup.payment_method or "",
                method_type="card",
                off_session=False,
                metadata={"payment": str(payment.pk)},
                idempotency_key=payment.idempotency_key,
            )
            .id
        )
    except GatewayCardError:
        intents = localstripe_call(base, "GET", "/v1/payment_intents?limit=100")["data"]
        intent_id = next(i["id"] for i in intents if i["metadata"] == {"payment": str(payment.pk)})
    return payment_attach_stripe_intent(payment=payment, stripe_payment_intent_id=intent_id)


@pytest.mark.django_db
def test_a_signed_event_is_refetched_and_books_the_payment(localstripe: str) -> None:
    payment = charged_behind_our_back(localstripe)
    payload = event_payload(
        "evt_ok_1", "payment_intent.succeeded", payment.stripe_payment_intent_id or ""
    )

    response = post(Client(), payload, sign(payload))

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert list(StripeEvent.objects.values_list("stripe_event_id", "type")) == [
        ("evt_ok_1", "payment_intent.succeeded")
    ]
    assert payment.events.get(status="succeeded").stripe_event_id == "evt_ok_1"
    assert Receipt.objects.get(payment=payment).gross_cents == 5000


@pytest.mark.django_db
def test_the_event_body_is_never_trusted_only_refetched(localstripe: str) -> None:
    """A 'succeeded' event for an intent that Stripe says failed books nothing."""
    payment = charged_behind_our_back(localstripe, card=CARD_CHARGE_DECLINED)
    payload = event_payload(
        "evt_lie", "payment_intent.succeeded", payment.stripe_payment_intent_id or ""
    )

    assert post(Client(), payload, sign(payload)).status_code == 200

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert Receipt.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(lambda p: sign(p, secret="whsec_forged"), id="forged"),
        pytest.param(lambda p: sign(p, at=int(time.time()) - 301), id="stale"),
        pytest.param(lambda p: sign(p + b" "), id="tampered"),
        pytest.param(lambda p: "", id="missing"),
        pytest.param(lambda p: "t=1,v1=zz", id="garbage"),
    ],
)
def test_a_forged_or_stale_signature_gets_400_and_writes_nothing(
    localstripe: str, signature: Any
) -> None:
    payment = charged_behind_our_back(localstripe)
    payload = event_payload(
        "evt_bad", "payment_intent.succeeded", payment.stripe_payment_intent_id or ""
    )

    response = post(Client(), payload, signature(payload))

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert Receipt.objects.count() == 0


@pytest.mark.django_db
def test_a_live_event_on_a_test_account_is_refused(localstripe: str) -> None:
    payment = charged_behind_our_back(localstripe)
    payload = event_payload(
        "evt_live",
        "payment_intent.succeeded",
        payment.stripe_payment_intent_id or "",
        livemode=True,
    )

    assert post(Client(), payload, sign(payload)).status_code == 400
    assert StripeEvent.objects.count() == 0


@pytest.mark.django_db
def test_a_webhook_is_only_a_post(localstripe: str) -> None:
    assert Client().get(WEBHOOK_URL).status_code == 405


@pytest.mark.django_db
def test_shuffled_and_repeated_deliveries_end_in_the_same_books(localstripe: str) -> None:
    """5 random delivery orders (with repeats) of the events of 3 succeeded
    and 1 declined payments give the same payments, receipts and balances."""
    payments = [charged_behind_our_back(localstripe, amount=1000 * (n + 1)) for n in range(3)]
    declined = charged_behind_our_back(localstripe, card=CARD_CHARGE_DECLINED, amount=700)
    deliveries: list[bytes] = []
    for n, payment in enumerate([*payments, declined]):
        intent = payment.stripe_payment_intent_id or ""
        deliveries += [
            event_payload(f"evt_{n}_proc", "payment_intent.processing", intent),
            event_payload(f"evt_{n}_ok", "payment_intent.succeeded", intent),
            event_payload(f"evt_{n}_fail", "payment_intent.payment_failed", intent),
        ]
    deliveries += deliveries[:4]  # Stripe delivers some twice
    client = Client()

    def books() -> tuple[Any, ...]:
        return (
            tuple(sorted(Payment.objects.values_list("pk", "status"))),
            tuple(sorted(Receipt.objects.values_list("payment_id", "gross_cents", "net_cents"))),
            account_balance_cents(kind=AccountKind.STRIPE_CLEARING),
            account_balance_cents(kind=AccountKind.UNALLOCATED),
            Journal.objects.count(),
            StripeEvent.objects.count(),
        )

    results = set()
    shuffler = random.Random(20261125)
    for _round in range(5):
        order = deliveries[:]
        shuffler.shuffle(order)
        with transaction.atomic():
            applied = 0
            for payload in order:
                response = post(client, payload, sign(payload))
                assert response.status_code == 200
                applied += response.json()["new"]
            assert applied == 12  # each event once, its repeats ignored
            results.add(books())
            assert books_check() == []
            transaction.set_rollback(True)

    assert len(results) == 1
    (statuses, receipts, clearing, _unallocated, journals, events) = results.pop()
    assert [status for _pk, status in statuses] == ["succeeded"] * 3 + ["failed"]
    assert [gross for _p, gross, _net in receipts] == [1000, 2000, 3000]
    assert (clearing, journals, events) == (6000, 3, 12)


@pytest.mark.django_db(transaction=True)
def test_the_same_webhook_delivered_50_times_at_once_books_once(
    localstripe: str, live_server: Any
) -> None:
    services.need(services.is_postgresql(), "concurrent delivery needs PostgreSQL")
    payment = charged_behind_our_back(localstripe)
    payload = event_payload(
        "evt_storm", "payment_intent.succeeded", payment.stripe_payment_intent_id or ""
    )
    signature = sign(payload)

    def deliver(_n: int) -> tuple[int, bool]:
        request = urllib.request.Request(  # noqa: S310 -- the live test server
            live_server.url + WEBHOOK_URL,
            data=payload,
            method="POST",
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return int(response.status), bool(json.loads(response.read())["new"])
        except urllib.error.HTTPError as error:
            return int(error.code), False

    # Each live-server thread runs the handling task it enqueues, as a worker would.
    with queued_tasks(handle_stripe_event, at_once=True), ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(deliver, range(50)))

    assert [status for status, _new in answers] == [200] * 50
    assert sum(new for _status, new in answers) == 1  # one delivery applied it
    assert StripeEvent.objects.filter(stripe_event_id="evt_storm").count() == 1
    assert Receipt.objects.filter(payment=payment).count() == 1
    assert Journal.objects.count() == 1
    assert account_balance_cents(kind=AccountKind.STRIPE_CLEARING) == 5000
    assert books_check() == []


@pytest.mark.django_db(transaction=True)
def test_localstripe_signed_webhooks_book_a_sepa_payment_on_our_live_server(
    localstripe: str, live_server: Any
) -> None:
    """SEPA settles after the charge: localstripe's own signed
    `payment_intent.succeeded`, posted to our live server, books it."""
    # The live server's thread writes while this one reads: an in-memory SQLite
    # database shared between threads cannot take concurrent statements.
    services.need(services.is_postgresql(), "concurrent live-server writes need PostgreSQL")
    localstripe_call(
        localstripe,
        "POST",
        "/_config/webhooks/librery",
        {"url": live_server.url + WEBHOOK_URL, "secret": STRIPE_WEBHOOK_SECRET},
    )
    with queued_tasks(handle_stripe_event, at_once=True):
        try:
            pledge = PledgeFactory.create(
                amount_cents=4200, payment_method=PaymentMethod.SEPA_DEBIT
            )
            payment = pay(localstripe, pledge, iban=IBAN_OK)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                payment.refresh_from_db()
                if payment.status == PaymentStatus.SUCCEEDED:
                    break
                time.sleep(0.1)
        finally:
            localstripe_call(
                localstripe,
                "POST",
                "/_config/webhooks/librery",
                {"url": live_server.url + WEBHOOK_URL, "secret": "x", "events": ["none.none"]},
            )
    assert payment.status == PaymentStatus.SUCCEEDED
    succeeded = payment.events.get(status="succeeded")
    assert succeeded.source == "stripe_webhook"
    assert succeeded.stripe_event_id.startswith("evt_")
    # localstripe may also deliver earlier tests' events: they are recorded as
    # ignored (not ours); this payment's own event is booked once.
    assert (
        StripeEvent.objects.filter(
            type="payment_intent.succeeded", object_id=payment.stripe_payment_intent_id
        ).count()
        == 1
    )
    assert Receipt.objects.get(payment=payment).gross_cents == 4200


@pytest.mark.django_db
def test_a_refund_made_in_stripes_dashboard_arrives_as_a_negative_receipt(
    localstripe: str,
) -> None:
    pledge = PledgeFactory.create(amount_cents=5000)
    payment = pay(localstripe, pledge)
    intent = gateway().payment_intent_retrieve(payment.stripe_payment_intent_id or "")
    refund = localstripe_call(
        localstripe, "POST", "/v1/refunds", {"payment_intent": intent.id, "amount": 2000}
    )
    payload = event_payload("evt_refund", "charge.refunded", intent.charge_id or "")

    for _twice in range(2):
        assert post(Client(), payload, sign(payload)).status_code == 200

    recorded = Refund.objects.get()
    assert (recorded.stripe_refund_id, recorded.kind, recorded.status) == (
        refund["id"],
        "refund",
        "succeeded",
    )
    negative = Receipt.objects.get(refund=recorded)
    assert (negative.gross_cents, negative.reverses_id) == (
        -2000,
        payment.receipts.get(refund=None).pk,
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED  # partly refunded
    assert account_balance_cents(kind=AccountKind.STRIPE_CLEARING) == 3000
    assert books_check() == []


class DisputingStripe(StripeGateway):
    """localstripe has no disputes: Stripe's answer about one, at the network edge."""

    def __init__(self, real: StripeGateway, disputes: dict[str, DisputeState]) -> None:
        self.__dict__.update(real.__dict__)
        self.disputes = disputes

    def dispute_retrieve(self, dispute_id: str) -> DisputeState:
        return self.disputes[dispute_id]


@pytest.mark.django_db
def test_a_lost_dispute_is_reviewed_then_booked_with_its_fee(localstripe: str) -> None:
    pledge = PledgeFactory.create(amount_cents=5000)
    payment = pay(localstripe, pledge)
    intent_id = payment.stripe_payment_intent_id or ""
    disputes = {"dp_1": DisputeState("dp_1", "needs_response", 5000, intent_id, 0)}
    with use_gateway(DisputingStripe(gateway(), disputes)):
        opened = event_payload("evt_dp_open", "charge.dispute.created", "dp_1")
        assert post(Client(), opened, sign(opened)).status_code == 200
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.DISPUTED
        dispute = Refund.objects.get()
        assert (dispute.kind, dispute.status, dispute.amount_cents) == ("dispute", "pending", 5000)
        assert Receipt.objects.filter(refund__isnull=False).count() == 0

        disputes["dp_1"] = DisputeState("dp_1", "lost", 5000, intent_id, 1500)
        closed = event_payload("evt_dp_closed", "charge.dispute.closed", "dp_1")
        assert post(Client(), closed, sign(closed)).status_code == 200

    negative = Receipt.objects.get(refund=dispute)
    assert (negative.gross_cents, negative.processor_fee_cents, negative.net_cents) == (
        -5000,
        1500,
        -6500,
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert books_check() == []


@pytest.mark.django_db
def test_a_won_dispute_moves_no_money(localstripe: str) -> None:
    payment = pay(localstripe, PledgeFactory.create(amount_cents=5000))
    intent_id = payment.stripe_payment_intent_id or ""
    disputes = {"dp_2": DisputeState("dp_2", "won", 5000, intent_id, 0)}
    with use_gateway(DisputingStripe(gateway(), disputes)):
        closed = event_payload("evt_dp_won", "charge.dispute.closed", "dp_2")
        assert post(Client(), closed, sign(closed)).status_code == 200
    assert Refund.objects.get().status == "failed"
    assert Receipt.objects.filter(refund__isnull=False).count() == 0
    assert account_balance_cents(kind=AccountKind.STRIPE_CLEARING) == 5000
