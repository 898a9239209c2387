"""The Stripe pages when Stripe is down or answers something unexpected: each
says so in the contributor's or administrator's words and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from contributors.models import User
from funds.enums import PaymentMethod, PaymentStatus, RefundStatus
from funds.models import Payment, Refund
from funds.stripe.client import GatewayError, IntentState, SetupState, StripeGateway, use_gateway
from tests.factories.contributors import PledgeFactory
from tests.factories.funds import PaymentFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
UNAVAILABLE = "Payments are unavailable for a moment; try again."


class DownStripe(StripeGateway):
    """Stripe unreachable for every call a page makes; `setup` answers the
    SetupIntent read instead when given."""

    def __init__(self, setup: SetupState | None = None) -> None:
        super().__init__(
            secret_key="sk_test_down", api_base="http://127.0.0.1:9", webhook_secret="whsec_x"
        )
        self.setup = setup

    def customer_create(self, **kwargs: Any) -> str:
        raise GatewayError("Stripe is unreachable")

    def setup_intent_retrieve(self, setup_intent_id: str) -> SetupState:
        if self.setup is None:
            raise GatewayError("Stripe is unreachable")
        return self.setup

    def payment_intent_retrieve(self, payment_intent_id: str) -> IntentState:
        raise GatewayError("Stripe is unreachable")

    def refund_create(self, **kwargs: Any) -> Any:
        raise GatewayError("Stripe is unreachable")


@pytest.fixture
def stripe_down(settings: Any) -> Iterator[DownStripe]:
    settings.USE_STRIPE = True
    down = DownStripe()
    with use_gateway(down):
        yield down


def test_the_payment_page_says_stripe_is_unavailable(
    stripe_down: DownStripe, contributor: Client, contributor_user: User
) -> None:
    pledge = PledgeFactory.create(contributor=contributor_user.contributors.get())
    page = contributor.get(f"/en/funds/pledges/{pledge.pk}/pay/")
    assert (page.status_code, page.context["error"]) == (503, UNAVAILABLE)
    assert Payment.objects.filter(pledge=pledge).count() == 0


def test_the_complete_step_answers_unavailable_or_refused(
    stripe_down: DownStripe, contributor: Client, contributor_user: User
) -> None:
    pledge = PledgeFactory.create(contributor=contributor_user.contributors.get())
    url = f"/en/funds/pledges/{pledge.pk}/pay/complete/"
    down = contributor.post(url, {"setup_intent": "seti_1"})
    assert (down.status_code, down.json()) == (503, {"error": UNAVAILABLE})
    stripe_down.setup = SetupState(
        id="seti_1",
        status="succeeded",
        customer="cus_other",
        payment_method="pm_1",
        client_secret="",
        metadata={"pledge": str(pledge.pk + 1)},
    )
    other = contributor.post(url, {"setup_intent": "seti_1"})
    assert (other.status_code, other.json()) == (
        409,
        {"error": "These payment details belong to another pledge."},
    )
    assert Payment.objects.filter(pledge=pledge).count() == 0


def test_the_sync_step_answers_unavailable(
    stripe_down: DownStripe, contributor: Client, contributor_user: User
) -> None:
    payment = PaymentFactory.create(
        pledge__contributor=contributor_user.contributors.get(),
        status=PaymentStatus.PENDING,
        stripe_payment_intent_id="pi_1",
    )
    answer = contributor.post(f"/en/funds/payments/{payment.pk}/sync/")
    assert (answer.status_code, answer.json()) == (503, {"error": UNAVAILABLE})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_a_refund_while_stripe_is_down_is_explained(
    stripe_down: DownStripe, administrator: Client
) -> None:
    payment = PaymentFactory.create(
        method=PaymentMethod.CARD,
        status=PaymentStatus.SUCCEEDED,
        amount_cents=5000,
        stripe_payment_intent_id="pi_1",
    )
    page = administrator.post(
        f"/en/funds/stripe/payments/{payment.pk}/refund/", {"amount": "10", "reason": "asked"}
    )
    assert page.status_code == 400
    assert page.context["form"].non_field_errors() == [UNAVAILABLE]
    assert list(Refund.objects.values_list("amount_cents", "status")) == [
        (1000, RefundStatus.PENDING)
    ]


def test_without_stripe_the_webhook_does_not_exist(settings: Any, anonymous: Client) -> None:
    settings.USE_STRIPE = False
    assert (
        anonymous.post("/webhooks/stripe/", b"{}", content_type="application/json").status_code
        == 404
    )
