"""What the money benchmarks share: a Stripe that answers at once (no network:
our side is measured), a statement counter, and the rows they book."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from contributors.enums import ContributorKind, PaymentMethod, PledgeFrequency, PledgeStatus
from contributors.models import Contributor, Pledge
from funds.enums import AccountKind
from funds.services.ledger import ledger_accounts
from funds.stripe.client import IntentState, StripeGateway

WEBHOOK_SECRET = "whsec_bench"  # noqa: S105 -- the benchmark's own, never a real one
AMOUNT_CENTS = 5000
FEE_CENTS = 25


class BenchStripe(StripeGateway):
    """Stripe's answers for the benchmark: every PaymentIntent succeeded and settled."""

    def __init__(self) -> None:
        super().__init__(
            secret_key="sk_test_bench",  # noqa: S106 -- a test key, never a real one
            api_base="http://127.0.0.1:9",
            webhook_secret=WEBHOOK_SECRET,
        )
        self.created = 0

    def _intent(self, intent_id: str, metadata: dict[str, str]) -> IntentState:
        return IntentState(
            id=intent_id,
            status="succeeded",
            amount_cents=AMOUNT_CENTS,
            currency="EUR",
            customer="cus_bench",
            payment_method="pm_bench",
            client_secret="",
            charge_id=f"ch_{intent_id}",
            balance_transaction_id=f"txn_{intent_id}",
            failure_code="",
            failure_message="",
            metadata=metadata,
        )

    def payment_intent_retrieve(self, payment_intent_id: str) -> IntentState:
        return self._intent(payment_intent_id, {})

    def payment_intent_create(self, **kwargs: Any) -> IntentState:
        self.created += 1
        return self._intent(f"pi_bench_{kwargs['idempotency_key']}", kwargs["metadata"])

    def balance_transaction_fee_cents(self, balance_transaction_id: str) -> int:
        return FEE_CENTS


class Counter:
    """A database cursor hook counting the SQL statements run."""

    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        self.queries += 1
        return execute(sql, *args)


def pledges(count: int, *, frequency: PledgeFrequency, token: str, **fields: Any) -> list[Pledge]:
    """`count` pledges of people paying by card, bulk created."""
    contributors = Contributor.objects.bulk_create(
        Contributor(kind=ContributorKind.PERSON, name=f"Bench {token} {i}") for i in range(count)
    )
    return Pledge.objects.bulk_create(
        Pledge(
            contributor=contributor,
            frequency=frequency,
            amount_cents=AMOUNT_CENTS,
            payment_method=PaymentMethod.CARD,
            idempotency_token=uuid.uuid4(),
            stripe_customer_id="cus_bench",
            stripe_payment_method_id="pm_bench",
            **{"status": PledgeStatus.AWAITING_PAYMENT, **fields},
        )
        for contributor in contributors
    )


def accounts_ready() -> None:
    """The fund's accounts exist, as on any day but its first."""
    ledger_accounts(
        kinds=[AccountKind.STRIPE_CLEARING, AccountKind.PROCESSOR_FEES, AccountKind.UNALLOCATED]
    )
