"""A monthly run on real receipts: which receipts it takes, what each
destination gets (worked out by hand), what the ledger says after, and that
starting it again books nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction

from allocation.enums import DestinationStage, RunStatus
from allocation.errors import AllocationError
from allocation.models import AllocationRun, RunDestination, RunReceipt
from allocation.services import (
    allocation_preview,
    allocation_run_claim,
    allocation_run_execute,
    period_bounds,
    previous_period,
)
from funds.enums import AccountKind, FundSettingKey, PaymentEventSource
from funds.models import Journal, Receipt
from funds.selectors import account_balance_cents, books_check, project_balances_cents
from funds.services import fund_setting_change, payment_succeed
from governance.enums import BallotKind, BallotStatus
from projects.enums import ProjectStatus
from projects.models import Project
from tests.factories import ProjectFactory
from tests.factories.contributors import EarmarkFactory, PledgeFactory
from tests.factories.funds import PaymentFactory
from tests.factories.governance import BallotFactory
from tests.services import is_postgresql, need

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
AFTER_MARCH = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)


def _receipt(
    gross: int, fee: int, at: datetime, earmarks: dict[Project, int] | None = None
) -> Receipt:
    pledge = PledgeFactory.create(amount_cents=gross)
    for project, share in (earmarks or {}).items():
        EarmarkFactory.create(pledge=pledge, project=project, share_bp=share)
    return payment_succeed(
        payment=PaymentFactory.create(pledge=pledge),
        gross_cents=gross,
        processor_fee_cents=fee,
        received_at=at,
        source=PaymentEventSource.STRIPE_WEBHOOK,
    )


def _round(at: datetime, **fractions: tuple[Project, str]) -> None:
    BallotFactory.create(
        kind=BallotKind.ROUND,
        status=BallotStatus.RELEASED,
        adopted=True,
        released_at=at,
        decision_number="2026-02/1",
        result={"shares": {str(p.pk): f for p, f in fractions.values()}},
    )


@pytest.fixture
def march() -> dict[str, Project]:
    """Receipts of March 2026 (and one of April), projects A and B admitted, C
    admitted when pledged to, suspended before the run, a round of thirds."""
    a, b, c = (ProjectFactory.create(status=ProjectStatus.ADMITTED) for _ in range(3))
    _receipt(10_000, 0, datetime(2026, 3, 5, 9, 0, tzinfo=UTC), {a: 3000, b: 2000})
    _receipt(1_001, 1, datetime(2026, 3, 20, 9, 0, tzinfo=UTC), {c: 5000})
    # 23:30 on 31 March in Paris is 21:30 UTC: still March.
    _receipt(700, 0, datetime(2026, 3, 31, 21, 30, tzinfo=UTC))
    # 00:30 on 1 April in Paris: April's, for the next run.
    _receipt(999, 0, datetime(2026, 3, 31, 22, 30, tzinfo=UTC), {a: 5000})
    Project.objects.filter(pk=c.pk).update(status=ProjectStatus.SUSPENDED)
    _round(datetime(2026, 2, 20, tzinfo=UTC), a=(a, "1/3"), b=(b, "1/3"), c=(c, "1/3"))
    return {"a": a, "b": b, "c": c}


def test_periods_are_paris_months() -> None:
    start, end = period_bounds("2026-03")
    assert (start.isoformat(), end.isoformat()) == (
        "2026-03-01T00:00:00+01:00",
        "2026-04-01T00:00:00+02:00",
    )
    assert period_bounds("2026-12")[1].isoformat() == "2027-01-01T00:00:00+01:00"
    assert previous_period(datetime(2026, 1, 1, 0, 30, tzinfo=UTC)) == "2025-12"
    assert previous_period(datetime(2026, 3, 31, 22, 30, tzinfo=UTC)) == "2026-03"
    for bad in ("2026-3", "2026-13", "March", "2026-03-01"):
        with pytest.raises(AllocationError, match="is not a month"):
            period_bounds(bad)


def test_a_run_splits_march_exactly_and_books_it(march: dict[str, Project]) -> None:
    a, b, c = march["a"], march["b"], march["c"]
    run = allocation_run_claim(period="2026-03", at=AFTER_MARCH)
    run = allocation_run_execute(run=run, at=AFTER_MARCH)
    assert run.status == RunStatus.COMPUTED
    # By hand: 100 EUR with 30 % to A and 20 % to B; 10 EUR net (10.01 gross,
    # 0.01 processor fee) earmarked half to C, suspended: all to the pool; 7 EUR
    # to the pool. The pool, 50 + 10 + 7 = 67 EUR, is shared by thirds: A and B
    # 22.33 EUR each, C's third (not eligible) and the leftover cent stay.
    assert (run.receipts_count, run.net_cents, run.fee_cents) == (3, 11_700, 0)
    assert (run.earmarked_cents, run.pool_in_cents, run.pool_carried_in_cents) == (
        5_000,
        6_700,
        0,
    )
    assert (run.pool_shared_cents, run.pool_carried_out_cents) == (4_466, 2_234)
    assert run.eligible_project_ids == sorted([a.pk, b.pk])
    assert run.round_fractions == {str(a.pk): "1/3", str(b.pk): "1/3"}
    cents = {
        (row.stage, row.destination): row.cents for row in RunDestination.objects.filter(run=run)
    }
    assert cents == {
        (DestinationStage.RECEIPTS, "fee"): 0,
        (DestinationStage.RECEIPTS, "pool"): 6_700,
        (DestinationStage.RECEIPTS, f"project:{a.pk}"): 3_000,
        (DestinationStage.RECEIPTS, f"project:{b.pk}"): 2_000,
        (DestinationStage.POOL, "pool"): 2_234,
        (DestinationStage.POOL, f"project:{a.pk}"): 2_233,
        (DestinationStage.POOL, f"project:{b.pk}"): 2_233,
    }
    assert project_balances_cents() == {a.pk: 5_233, b.pk: 4_233}  # C, suspended: nothing
    assert c.pk not in project_balances_cents()
    assert account_balance_cents(kind=AccountKind.POOL) == 2_234
    assert account_balance_cents(kind=AccountKind.OPERATING) == 0
    # April's receipt stays unallocated: 9.99 EUR.
    assert account_balance_cents(kind=AccountKind.UNALLOCATED) == 999
    assert len(run.document_sha256) == 64
    assert books_check() == []


def test_starting_a_month_again_books_nothing(march: dict[str, Project]) -> None:
    first = allocation_run_execute(
        run=allocation_run_claim(period="2026-03", at=AFTER_MARCH), at=AFTER_MARCH
    )
    journals = Journal.objects.count()
    again = allocation_run_claim(period="2026-03", at=AFTER_MARCH)
    assert again.pk == first.pk
    assert allocation_run_execute(run=again, at=AFTER_MARCH).document_sha256 == (
        first.document_sha256
    )
    assert (Journal.objects.count(), AllocationRun.objects.count()) == (journals, 1)
    assert RunReceipt.objects.filter(run=first).count() == 3


def test_the_next_month_takes_the_late_receipt_and_the_pool_carried(
    march: dict[str, Project],
) -> None:
    a = march["a"]
    allocation_run_execute(
        run=allocation_run_claim(period="2026-03", at=AFTER_MARCH), at=AFTER_MARCH
    )
    after_april = datetime(2026, 5, 2, tzinfo=UTC)
    april = allocation_run_execute(
        run=allocation_run_claim(period="2026-04", at=after_april), at=after_april
    )
    # 9.99 EUR half to A: 4.995 each way, the tie goes to the pool (5.00), A 4.99;
    # the pool, 22.34 carried + 5.00, by thirds: A and B 9.11 each, 9.12 stay.
    assert (april.receipts_count, april.net_cents, april.pool_carried_in_cents) == (1, 999, 2_234)
    assert (april.earmarked_cents, april.pool_in_cents) == (499, 500)
    assert (april.pool_shared_cents, april.pool_carried_out_cents) == (1_822, 912)
    assert project_balances_cents()[a.pk] == 5_233 + 499 + 911
    assert account_balance_cents(kind=AccountKind.UNALLOCATED) == 0
    assert books_check() == []


def test_the_fee_in_force_is_taken_first() -> None:
    a = ProjectFactory.create(status=ProjectStatus.ADMITTED)
    fund_setting_change(
        key=FundSettingKey.MANAGEMENT_FEE_BP,
        value=500,
        effective_at=datetime(2026, 1, 1, tzinfo=UTC),
        decision_reference="2025-12/4",
    )
    _receipt(10_000, 0, datetime(2026, 3, 5, tzinfo=UTC), {a: 5000})
    run = allocation_run_execute(
        run=allocation_run_claim(period="2026-03", at=AFTER_MARCH), at=AFTER_MARCH
    )
    assert (run.fee_bp, run.fee_cents, run.earmarked_cents, run.pool_in_cents) == (
        500,
        500,
        4_750,
        4_750,
    )
    assert account_balance_cents(kind=AccountKind.OPERATING) == 500
    assert account_balance_cents(kind=AccountKind.POOL) == 4_750  # no round: it stays
    assert books_check() == []


def test_a_refund_is_a_negative_receipt_with_its_original_snapshot() -> None:
    from funds.enums import RefundKind  # noqa: PLC0415 -- only this test
    from funds.services import refund_record, refund_succeed  # noqa: PLC0415 -- only this test

    a = ProjectFactory.create(status=ProjectStatus.ADMITTED)
    original = _receipt(5_000, 0, datetime(2026, 2, 5, tzinfo=UTC), {a: 4000})
    allocation_run_execute(
        run=allocation_run_claim(period="2026-02", at=AFTER_MARCH), at=AFTER_MARCH
    )
    refund = refund_record(
        payment=original.payment, kind=RefundKind.REFUND, amount_cents=1_000, reason="partial"
    )
    refund_succeed(refund=refund, received_at=datetime(2026, 3, 3, tzinfo=UTC))
    march = allocation_run_execute(
        run=allocation_run_claim(period="2026-03", at=AFTER_MARCH), at=AFTER_MARCH
    )
    # -10 EUR with the original's 40 %: -4 EUR from A, -6 EUR from the pool.
    assert (march.net_cents, march.earmarked_cents, march.pool_in_cents) == (-1_000, -400, -600)
    assert project_balances_cents() == {a.pk: 1_600}
    assert account_balance_cents(kind=AccountKind.POOL) == 2_400
    assert books_check() == []


def test_a_month_not_over_cannot_run() -> None:
    with pytest.raises(AllocationError, match="not over yet"):
        allocation_run_claim(period="2026-04", at=AFTER_MARCH)


def test_the_preview_books_nothing(march: dict[str, Project]) -> None:
    preview = allocation_preview(period="2026-03", at=AFTER_MARCH)
    assert (preview.net_cents, preview.pool_in_cents, preview.pool_shared_cents) == (
        11_700,
        6_700,
        4_466,
    )
    assert AllocationRun.objects.count() == 0
    assert RunReceipt.objects.count() == 0
    assert account_balance_cents(kind=AccountKind.POOL) == 0


def _journal(source: str, external_id: str, *legs: tuple[AccountKind, int]) -> None:
    from funds.services import journal_post, ledger_account  # noqa: PLC0415 -- only here

    journal_post(
        source=source,
        external_id=external_id,
        memo="by hand",
        legs=[(ledger_account(kind=kind), cents) for kind, cents in legs],
    )


@pytest.mark.parametrize(
    ("source", "legs", "named"),
    [
        # Money moved into the pool by an allocation journal no run made.
        (
            "allocation",
            ((AccountKind.UNALLOCATED, 500), (AccountKind.POOL, -500)),
            "conservation: allocated receipts net 0 cents but",
        ),
    ],
)
def test_a_run_on_broken_books_fails_and_leaves_nothing(
    march: dict[str, Project], source: str, legs: tuple[tuple[AccountKind, int], ...], named: str
) -> None:
    _journal(source, "broken", *legs)
    journals = Journal.objects.count()
    run = allocation_run_claim(period="2026-03", at=AFTER_MARCH)
    with pytest.raises(AllocationError, match=named):
        allocation_run_execute(run=run, at=AFTER_MARCH)
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING  # for the periodic task to start again
    assert (RunReceipt.objects.count(), RunDestination.objects.count()) == (0, 0)
    assert Journal.objects.count() == journals


def test_an_empty_month_is_computed_with_nothing_to_book() -> None:
    run = allocation_run_execute(
        run=allocation_run_claim(period="2026-03", at=AFTER_MARCH), at=AFTER_MARCH
    )
    assert (run.status, run.receipts_count, run.net_cents, run.pool_carried_out_cents) == (
        RunStatus.COMPUTED,
        0,
        0,
        0,
    )
    assert Journal.objects.count() == 0
    assert run.round_ballot_id is None


def test_rows_name_themselves(march: dict[str, Project]) -> None:
    run = allocation_run_execute(
        run=allocation_run_claim(period="2026-03", at=AFTER_MARCH), at=AFTER_MARCH
    )
    taken = RunReceipt.objects.filter(run=run).order_by("receipt_id").first()
    assert taken is not None
    assert str(run) == "allocation 2026-03 (computed)"
    assert str(taken) == f"run {run.pk} took receipt {taken.receipt_id}"
    pool = RunDestination.objects.get(run=run, stage=DestinationStage.POOL, destination="pool")
    assert str(pool) == f"run {run.pk} pool pool: 2234"


def test_the_database_keeps_what_a_run_took(march: dict[str, Project]) -> None:
    """No foreign key, but PostgreSQL triggers: a taken receipt, a run that took
    receipts and the rows saying so are never deleted nor changed."""
    need(is_postgresql(), "the guards are PostgreSQL triggers")
    run = allocation_run_execute(
        run=allocation_run_claim(period="2026-03", at=AFTER_MARCH), at=AFTER_MARCH
    )
    taken = RunReceipt.objects.filter(run=run).first()
    assert taken is not None
    attempts = [
        ("DELETE FROM funds_receipt WHERE id = %s", taken.receipt_id, "taken by an allocation"),
        ("DELETE FROM allocation_allocationrun WHERE id = %s", run.pk, "taken by an allocation"),
        ("DELETE FROM allocation_runreceipt WHERE receipt_id = %s", taken.receipt_id, "never"),
        (
            "UPDATE allocation_runreceipt SET run_id = 0 WHERE receipt_id = %s",
            taken.receipt_id,
            "never",
        ),
    ]
    for sql, pk, message in attempts:
        with (
            pytest.raises(IntegrityError, match=message),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [pk])
    assert RunReceipt.objects.filter(run=run).count() == run.receipts_count
