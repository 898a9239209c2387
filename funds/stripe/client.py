"""The Stripe gateway: the only module that imports the Stripe SDK.

Everything else calls the small `StripeGateway` interface below and gets plain
dataclasses back. The API version is pinned; every write carries an
idempotency key derived from our own rows (`payment_{id}`, `refund_{id}`,
`pledge_{id}_{YYYY-MM}`). Tests swap the gateway with `use_gateway`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from http import HTTPStatus
from typing import Any

import stripe
from django.conf import settings

from funds.errors import FundsError
from funds.stripe.amounts import from_stripe, to_stripe

# Pinned: the version the SDK release in uv.lock is generated for. Upgrading is
# a procedure (docs/payments.md, "Upgrading Stripe"), never a side effect.
API_VERSION = "2026-10-28.endive"
DEFAULT_JS_URL = "https://js.stripe.com/v3/"
WEBHOOK_TOLERANCE_SECONDS = 300


class GatewayError(FundsError):
    """Stripe could not be reached or refused the request (retry later)."""


class GatewayCardError(GatewayError):
    """The card or account was declined: a final answer for this attempt."""

    def __init__(self, *, code: str, message: str, payment_intent_id: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.payment_intent_id = payment_intent_id


class GatewayNotFoundError(GatewayError):
    """Stripe does not know the object (404, `resource_missing`): asking again
    will not help."""


class SignatureError(FundsError, ValueError):
    """A webhook whose signature, age or mode cannot be trusted."""


class EventFormatError(FundsError, ValueError):
    """A body that is not a Stripe event we can store; the message says why."""


@dataclass(frozen=True)
class IntentState:
    """What we need of a PaymentIntent, re-fetched from Stripe."""

    id: str
    status: str
    amount_cents: int
    currency: str
    customer: str | None
    payment_method: str | None
    client_secret: str
    charge_id: str | None
    balance_transaction_id: str | None
    failure_code: str
    failure_message: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SetupState:
    id: str
    status: str
    customer: str | None
    payment_method: str | None
    client_secret: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundState:
    id: str
    status: str
    amount_cents: int
    payment_intent_id: str | None
    charge_id: str | None


@dataclass(frozen=True)
class DisputeState:
    id: str
    status: str
    amount_cents: int
    payment_intent_id: str | None
    fee_cents: int


@dataclass(frozen=True)
class EventState:
    id: str
    type: str
    livemode: bool
    object_id: str
    created: int


def _id_of(value: Any) -> str | None:
    """An expandable field: an id, an expanded object, or nothing."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return str(value["id"])


def _plain(obj: Any) -> dict[str, Any]:
    """A Stripe object as plain (recursive) dicts."""
    if isinstance(obj, dict):
        return obj
    return dict(obj.to_dict())


def _intent_state(raw: Any) -> IntentState:
    intent = _plain(raw)
    charge = intent.get("latest_charge")
    charge_id = _id_of(charge)
    balance_transaction_id = None
    if isinstance(charge, dict):
        balance_transaction_id = _id_of(charge.get("balance_transaction"))
    error = intent.get("last_payment_error") or {}
    return IntentState(
        id=str(intent["id"]),
        status=str(intent["status"]),
        amount_cents=from_stripe(amount=int(intent["amount"]), currency=str(intent["currency"])),
        currency=str(intent["currency"]).upper(),
        customer=_id_of(intent.get("customer")),
        payment_method=_id_of(intent.get("payment_method")),
        client_secret=str(intent.get("client_secret") or ""),
        charge_id=charge_id,
        balance_transaction_id=balance_transaction_id,
        failure_code=str(error.get("code") or ""),
        failure_message=str(error.get("message") or ""),
        metadata={str(k): str(v) for k, v in (intent.get("metadata") or {}).items()},
    )


def _not_found_or_gateway_error(error: stripe.StripeError, object_id: str) -> GatewayError:
    """A retrieve Stripe refused: the object is unknown to Stripe, or Stripe failed."""
    if error.http_status == HTTPStatus.NOT_FOUND:
        return GatewayNotFoundError(f"Stripe does not know {object_id}.")
    return GatewayError(str(error))


def _text(data: dict[str, Any], name: str, *, path: str, required: bool) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        qualifier = "a non-empty string" if required else "a string"
        raise EventFormatError(f'"{path}" must be {qualifier}.')
    return value


def _event_state(event: object) -> EventState:
    """The fields we use of an event (as plain JSON), each of the type Stripe
    documents; `EventFormatError` names the first that is not."""
    if not isinstance(event, dict):
        raise EventFormatError("The body is not a JSON object.")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise EventFormatError('"data.object" must be an object.')
    livemode = event.get("livemode", False)
    if not isinstance(livemode, bool):
        raise EventFormatError('"livemode" must be true or false.')
    created = event.get("created")
    if not isinstance(created, int) or isinstance(created, bool):
        raise EventFormatError('"created" must be a whole number.')
    return EventState(
        id=_text(event, "id", path="id", required=True),
        type=_text(event, "type", path="type", required=True),
        livemode=livemode,
        object_id=_text(obj, "id", path="data.object.id", required=False),
        created=created,
    )


def _signed_at(signature_header: str) -> int:
    """The signature's timestamp, read as Stripe's SDK reads it (the first `t=`)."""
    items = [item.split("=", 2) for item in signature_header.split(",")]
    return next(int(item[1]) for item in items if item[0] == "t")


# How long one call waits for a connection to Stripe at most (its answer:
# settings.STRIPE_TIMEOUT_SECONDS).
CONNECT_TIMEOUT_SECONDS = 5


class StripeGateway:
    """Our calls to Stripe, with `api_base` from `STRIPE_API_BASE` (localstripe
    in tests), the pinned API version and `STRIPE_TIMEOUT_SECONDS`."""

    def __init__(self, *, secret_key: str, api_base: str | None, webhook_secret: str) -> None:
        base: dict[str, str] = {"api": api_base.rstrip("/")} if api_base else {}
        # The SDK waits 80 s for an answer by default: a web request (the payment
        # page) would hold its worker that long, three times over with the retries.
        timeout_seconds = settings.STRIPE_TIMEOUT_SECONDS
        connect = min(CONNECT_TIMEOUT_SECONDS, timeout_seconds)
        self._client = stripe.StripeClient(
            secret_key,
            stripe_version=API_VERSION,
            base_addresses=base,  # type: ignore[arg-type]
            max_network_retries=2,
            http_client=stripe.RequestsClient(timeout=(connect, timeout_seconds)),
        )
        self._webhook_secret = webhook_secret
        self.livemode = secret_key.startswith("sk_live_")

    # --- customers and saved payment methods ---------------------------------

    def customer_create(self, *, email: str, name: str, idempotency_key: str) -> str:
        try:
            params = {key: value for key, value in (("email", email), ("name", name)) if value}
            customer = self._client.v1.customers.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return str(customer.id)

    def setup_intent_create(
        self, *, customer: str, method_type: str, metadata: dict[str, str], idempotency_key: str
    ) -> SetupState:
        try:
            params: dict[str, Any] = {
                "customer": customer,
                "payment_method_types": [method_type],
                "usage": "off_session",
                "metadata": metadata,
            }
            setup = self._client.v1.setup_intents.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return self._setup_state(setup)

    def setup_intent_retrieve(self, setup_intent_id: str) -> SetupState:
        try:
            setup = self._client.v1.setup_intents.retrieve(setup_intent_id)
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return self._setup_state(setup)

    @staticmethod
    def _setup_state(raw: Any) -> SetupState:
        setup = _plain(raw)
        return SetupState(
            id=str(setup["id"]),
            status=str(setup["status"]),
            customer=_id_of(setup.get("customer")),
            payment_method=_id_of(setup.get("payment_method")),
            client_secret=str(setup.get("client_secret") or ""),
            metadata={str(k): str(v) for k, v in (setup.get("metadata") or {}).items()},
        )

    # --- payments -------------------------------------------------------------

    def payment_intent_create(
        self,
        *,
        amount_cents: int,
        currency: str,
        customer: str,
        payment_method: str,
        method_type: str,
        off_session: bool,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> IntentState:
        """Create and confirm a PaymentIntent with a saved payment method. A
        decline raises `GatewayCardError` (carrying the intent's id if any)."""
        amount, stripe_currency = to_stripe(amount_cents=amount_cents, currency=currency)
        params: dict[str, Any] = {
            "amount": amount,
            "currency": stripe_currency,
            "customer": customer,
            "payment_method": payment_method,
            "payment_method_types": [method_type],
            "confirm": True,
            "metadata": metadata,
        }
        if off_session:
            params["off_session"] = True
        try:
            intent = self._client.v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        except stripe.CardError as error:
            detail = error.error
            intent_id = None
            if detail is not None and detail.payment_intent is not None:
                intent_id = str(detail.payment_intent.id)
            raise GatewayCardError(
                code=str(error.code or "card_declined"),
                message=str(error.user_message or "The payment was declined."),
                payment_intent_id=intent_id,
            ) from error
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return _intent_state(intent)

    def payment_intent_retrieve(self, payment_intent_id: str) -> IntentState:
        try:
            intent = self._client.v1.payment_intents.retrieve(
                payment_intent_id, params={"expand": ["latest_charge"]}
            )
        except stripe.StripeError as error:
            raise _not_found_or_gateway_error(error, payment_intent_id) from error
        return _intent_state(intent)

    def payment_intent_list(self, *, created_gte: int) -> list[IntentState]:
        """PaymentIntents created since `created_gte`, read page by page
        (newest first) until a page holds none that recent."""
        found: list[IntentState] = []
        params: dict[str, Any] = {"limit": 100}
        try:
            while True:
                page = self._client.v1.payment_intents.list(params=params)  # type: ignore[arg-type]
                items = [_plain(item) for item in page.data]
                recent = [item for item in items if int(item.get("created") or 0) >= created_gte]
                found += [_intent_state(item) for item in recent]
                if not page.has_more or not recent:
                    return found
                params["starting_after"] = items[-1]["id"]
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error

    def balance_transaction_fee_cents(self, balance_transaction_id: str) -> int:
        """The processor fee Stripe took, in our cents."""
        try:
            transaction = self._client.v1.balance_transactions.retrieve(balance_transaction_id)
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return from_stripe(amount=int(transaction.fee), currency=str(transaction.currency))

    # --- refunds and disputes --------------------------------------------------

    def refund_create(
        self, *, payment_intent_id: str, amount_cents: int, currency: str, idempotency_key: str
    ) -> RefundState:
        amount, _currency = to_stripe(amount_cents=amount_cents, currency=currency)
        try:
            refund = self._client.v1.refunds.create(
                params={"payment_intent": payment_intent_id, "amount": amount},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return self._refund_state(refund)

    def refund_list(self, *, payment_intent_id: str) -> list[RefundState]:
        try:
            page = self._client.v1.refunds.list(
                params={"payment_intent": payment_intent_id, "limit": 100}
            )
            return [self._refund_state(refund) for refund in page.auto_paging_iter()]
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error

    @staticmethod
    def _refund_state(raw: Any) -> RefundState:
        refund = _plain(raw)
        return RefundState(
            id=str(refund["id"]),
            status=str(refund["status"]),
            amount_cents=from_stripe(
                amount=int(refund["amount"]), currency=str(refund["currency"])
            ),
            payment_intent_id=_id_of(refund.get("payment_intent")),
            charge_id=_id_of(refund.get("charge")),
        )

    def dispute_retrieve(self, dispute_id: str) -> DisputeState:
        try:
            dispute = self._client.v1.disputes.retrieve(
                dispute_id, params={"expand": ["balance_transactions"]}
            )
        except stripe.StripeError as error:
            raise _not_found_or_gateway_error(error, dispute_id) from error
        data = _plain(dispute)
        fee = sum(int(txn["fee"]) for txn in data.get("balance_transactions") or [])
        return DisputeState(
            id=str(data["id"]),
            status=str(data["status"]),
            amount_cents=from_stripe(amount=int(data["amount"]), currency=str(data["currency"])),
            payment_intent_id=_id_of(data.get("payment_intent")),
            fee_cents=from_stripe(amount=fee, currency=str(data["currency"])),
        )

    def charge_payment_intent_id(self, charge_id: str) -> str | None:
        try:
            charge = self._client.v1.charges.retrieve(charge_id)
        except stripe.StripeError as error:
            raise _not_found_or_gateway_error(error, charge_id) from error
        return _id_of(_plain(charge).get("payment_intent"))

    # --- events ---------------------------------------------------------------

    def event_list(self, *, created_gte: int) -> list[EventState]:
        try:
            page = self._client.v1.events.list(
                params={"created": {"gte": created_gte}, "limit": 100}
            )
            return [_event_state(_plain(event)) for event in page.auto_paging_iter()]
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error

    def event_verify(self, *, payload: bytes, signature_header: str) -> EventState:
        """The event in `payload`, if its signature (on the raw body, made at
        most 300 s before or after now) is ours and its mode is ours; else
        `SignatureError`. A signed body that is not an event of the documented
        shape raises `EventFormatError`."""
        if not self._webhook_secret:
            raise SignatureError("No webhook secret is configured.")
        try:
            stripe.WebhookSignature.verify_header(
                payload, signature_header, self._webhook_secret, WEBHOOK_TOLERANCE_SECONDS
            )
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise SignatureError(str(error)) from error
        # Stripe's SDK refuses only old timestamps; a future one is as suspect.
        signed_at = _signed_at(signature_header)
        if signed_at > time.time() + WEBHOOK_TOLERANCE_SECONDS:
            raise SignatureError(f"Timestamp outside the tolerance zone ({signed_at})")
        try:
            raw = json.loads(payload)
        except (ValueError, RecursionError) as error:
            raise EventFormatError("The body is not JSON.") from error
        state = _event_state(raw)
        if state.livemode != self.livemode:
            raise SignatureError("Live/test mode mismatch.")
        return state


_override: StripeGateway | None = None


def gateway() -> StripeGateway:
    """The gateway in use: Stripe from the settings, or the one a test installed."""
    if _override is not None:
        return _override
    if not settings.USE_STRIPE:
        raise GatewayError("Stripe is not configured (STRIPE_SECRET_KEY is not set).")
    return _gateway_for(
        os.getpid(),
        settings.STRIPE_SECRET_KEY or "",
        settings.STRIPE_API_BASE,
        settings.STRIPE_WEBHOOK_SECRET or "",
        settings.STRIPE_TIMEOUT_SECONDS,
    )


@lru_cache(maxsize=4)
def _gateway_for(
    pid: int, secret_key: str, api_base: str | None, webhook_secret: str, timeout_seconds: int
) -> StripeGateway:
    """One gateway per process and settings (`timeout_seconds` is in the key,
    though the gateway reads it from the settings itself): its HTTP client keeps
    each thread's connection to Stripe open from one call to the next, where a
    gateway per call opened a new connection, TLS handshake included, for each
    (a renewal run: one per charge). `pid` is in the key so that a forked
    worker opens connections of its own and never writes to its parent's."""
    return StripeGateway(secret_key=secret_key, api_base=api_base, webhook_secret=webhook_secret)


@contextmanager
def use_gateway(replacement: StripeGateway) -> Iterator[StripeGateway]:
    """Install `replacement` (a fault-injecting wrapper in tests) for the block."""
    global _override  # noqa: PLW0603 -- the one swappable seam
    previous = _override
    _override = replacement
    try:
        yield replacement
    finally:
        _override = previous


def js_url() -> str:
    """Where Stripe.js comes from (Stripe's own; localstripe's in tests)."""
    return str(getattr(settings, "STRIPE_JS_URL", None) or DEFAULT_JS_URL)
