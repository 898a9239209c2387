"""What the transparency tests share: March (people earmarking half, its batch,
its payout sent), April (organisations of each kind, a round sharing the pool)
and a May receipt not allocated yet."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from allocation.enums import PayoutStatus
from allocation.models import AllocationRun
from allocation.services import allocation_month_run, payout_batch_create, payout_transition
from contributors.enums import OrganisationKind
from contributors.models import Contributor
from funds.enums import PaymentEventSource
from funds.services import payment_succeed
from governance.enums import BallotKind, BallotStatus
from projects.models import Project
from tests.allocation.disbursement import Admin, Month, approve, computed_month, make_admin
from tests.factories.contributors import EarmarkFactory, OrganisationFactory, PledgeFactory
from tests.factories.core import ContributorFactory
from tests.factories.funds import PaymentFactory
from tests.factories.governance import BallotFactory

AFTER_APRIL = datetime(2026, 5, 3, 9, tzinfo=UTC)


def give(
    contributor: Contributor, cents: int, at: datetime, earmarks: dict[Project, int], fee: int = 0
) -> None:
    pledge = PledgeFactory.create(contributor=contributor, amount_cents=cents)
    for project, share in earmarks.items():
        EarmarkFactory.create(pledge=pledge, project=project, share_bp=share)
    payment_succeed(
        payment=PaymentFactory.create(pledge=pledge),
        gross_cents=cents,
        processor_fee_cents=fee,
        received_at=at,
        source=PaymentEventSource.STRIPE_WEBHOOK,
    )


def april_run(month: Month, extra: int = 0) -> AllocationRun:
    """April: organisations of each kind give, earmarking two projects, a round
    shares the pool (March's carried pool with it); `extra` more people give."""
    BallotFactory.create(
        kind=BallotKind.ROUND,
        status=BallotStatus.RELEASED,
        adopted=True,
        released_at=datetime(2026, 4, 1, tzinfo=UTC),
        decision_number="2026-04/1",
        result={"shares": {str(month.paid.pk): "1/2", str(month.small.pk): "1/3"}},
    )
    at = datetime(2026, 4, 12, 10, tzinfo=UTC)
    for kind, cents in (
        (OrganisationKind.LOCAL_AUTHORITY, 100_001),
        (OrganisationKind.COMPANY, 33_333),
        (OrganisationKind.FOUNDATION, 7_777),
    ):
        give(
            OrganisationFactory.create(organisation_kind=kind),
            cents,
            at,
            {month.paid: 2000, month.unverified: 1500},
            fee=cents // 50,
        )
    for index in range(extra):
        give(ContributorFactory.create(), 1_000 + index, at, {month.small: 3000})
    return allocation_month_run(period="2026-04", at=AFTER_APRIL)


def funded_months() -> dict[str, Any]:
    """March (people earmarking half) with its batch, its payout sent; April
    (organisations, a round); a May receipt not allocated yet."""
    month = computed_month()
    ada: Admin = make_admin("Ada Admin", "ada@example.org")
    approve(ada, month.run)
    approve(make_admin("Bob Admin", "bob@example.org"), month.run)
    batch = payout_batch_create(run=month.run, via="test")
    for payout in batch.payouts.all():
        payout_transition(payout=payout, to_status=PayoutStatus.SENT, actor=ada.user)
    april = april_run(month)
    give(ContributorFactory.create(), 4_200, datetime(2026, 5, 4, tzinfo=UTC), {}, fee=42)
    return {"month": month, "april": april, "ada": ada}
