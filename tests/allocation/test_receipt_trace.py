"""Where my money went: one receipt's exact share of each earmark, of the
pool and then of each project by the round of each month, the payouts that
carried them, and money not allocated yet shown as waiting. The exact shares
of a month's receipts add up to the run's exact units."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import pytest
from django.test import Client

from allocation.arithmetic import UNITS_PER_CENT
from allocation.enums import DestinationStage, PayoutStatus, RunStatus
from allocation.models import AllocationRun, Payout, RunDestination, RunReceipt
from allocation.selectors_receipts import pool_given, receipt_trace, rounded
from allocation.selectors_transparency import overview
from allocation.services import allocation_month_run, payout_batch_create
from funds.enums import FundSettingKey
from funds.models import Receipt
from funds.money import format_money
from funds.services import fund_setting_change
from projects.enums import ProjectStatus
from projects.models import Project
from tests.allocation.disbursement import approve, make_admin
from tests.allocation.transparency_data import funded_months, give
from tests.factories import ProjectFactory
from tests.factories.core import ContributorFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def funded() -> dict[str, Any]:
    return funded_months()


def _client(receipt: Receipt) -> Client:
    user = receipt.contributor.user
    assert user is not None
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_a_receipt_split_across_two_earmarks_and_the_pool(funded: dict[str, Any]) -> None:
    month = funded["month"]
    receipt = Receipt.objects.get(gross_cents=100_001)  # the local authority's, in April
    trace = receipt_trace(receipt=receipt)
    assert trace.run == funded["april"]
    net = 100_001 - 2_000
    assert receipt.net_cents == net
    shares = {share.name: share for share in trace.projects}
    assert shares["Alpha Paid"].earmarked == Fraction(net * 2000, 10_000)
    assert shares["Gamma Unverified"].earmarked == Fraction(net * 1500, 10_000)
    pool = Fraction(net * 6500, 10_000)
    assert trace.pool == pool
    assert shares["Alpha Paid"].from_pool == [(funded["april"], pool / 2)]
    assert shares["Beta Small"].from_pool == [(funded["april"], pool / 3)]
    assert shares["Beta Small"].earmarked == 0
    assert trace.pool_kept == pool / 6
    # March's batch paid Alpha before April: April's money waits for a later one.
    assert shares["Alpha Paid"].payout is None
    total = sum((s.total for s in trace.projects), Fraction(0)) + trace.pool_kept + trace.fee
    assert total == net
    page = _client(receipt).get(f"/en/transparency/receipts/{receipt.pk}/")
    assert page.status_code == 200
    text = page.text
    for amount in (
        shares["Alpha Paid"].earmarked_cents,
        shares["Gamma Unverified"].earmarked_cents,
        rounded(pool / 2),
        rounded(pool / 3),
        trace.pool_kept_cents,
        trace.pool_cents,
    ):
        assert format_money(amount, locale="en") in text
    assert "by round 2026-04/1 (April 2026)" in text
    assert "balance, waiting for a payout" in text
    assert month.paid.name in text


def test_march_money_reaches_projects_by_aprils_round_and_its_payout(
    funded: dict[str, Any],
) -> None:
    """March had no round: its pool waited, and April's round shared it."""
    month = funded["month"]
    receipt = Receipt.objects.get(gross_cents=24_000)  # earmarked half to Alpha Paid
    trace = receipt_trace(receipt=receipt)
    assert trace.run == month.run
    alpha = next(s for s in trace.projects if s.project_id == month.paid.pk)
    assert alpha.earmarked == 12_000
    assert alpha.from_pool == [(funded["april"], Fraction(12_000, 2))]
    assert alpha.payout is not None
    assert alpha.payout.status == PayoutStatus.SENT
    # April's batch pays Alpha again: March's money left with March's payout.
    # (New administrators: a TOTP code is taken once, and Ada's was used.)
    approve(make_admin("Cy Admin", "cy@example.org"), funded["april"])
    approve(make_admin("Di Admin", "di@example.org"), funded["april"])
    payout_batch_create(run=funded["april"], via="test")
    assert Payout.objects.filter(project=month.paid).count() == 2
    again = next(
        s for s in receipt_trace(receipt=receipt).projects if s.project_id == month.paid.pk
    )
    assert again.payout == alpha.payout
    text = _client(receipt).get(f"/en/transparency/receipts/{receipt.pk}/").text
    assert "Sent to the bank, batch of March 2026" in text
    assert "Allocated by the run of" in text


def test_the_shares_of_a_months_receipts_sum_to_the_runs_exact_units(
    funded: dict[str, Any],
) -> None:
    april = funded["april"]
    earmarked: dict[int, Fraction] = {}
    pool = Fraction(0)
    for taken in RunReceipt.objects.filter(run=april).select_related("receipt"):
        trace = receipt_trace(receipt=taken.receipt)
        pool += trace.pool
        for share in (s for s in trace.projects if s.earmarked):
            earmarked[share.project_id] = earmarked.get(share.project_id, 0) + share.earmarked
    exact = {
        row.project_id: Fraction(int(row.exact), UNITS_PER_CENT)
        for row in RunDestination.objects.filter(
            run=april, stage=DestinationStage.RECEIPTS, project__isnull=False
        )
    }
    assert earmarked == exact
    pool_row = RunDestination.objects.get(
        run=april, stage=DestinationStage.RECEIPTS, destination="pool"
    )
    assert pool == Fraction(int(pool_row.exact), UNITS_PER_CENT)


def test_money_not_allocated_yet_is_shown_waiting(funded: dict[str, Any]) -> None:
    receipt = Receipt.objects.get(gross_cents=4_200)
    trace = receipt_trace(receipt=receipt)
    assert trace.run is None
    assert trace.projects == []
    client = _client(receipt)
    text = client.get(f"/en/transparency/receipts/{receipt.pk}/").text
    assert 'id="waiting"' in text
    assert "Not earmarked" in text
    mine = client.get("/en/contribute/mine/").text
    assert f'href="/en/transparency/receipts/{receipt.pk}/">Waiting for the monthly' in mine


def test_an_earmark_of_a_project_no_longer_eligible_goes_to_the_pool() -> None:
    """With a management fee of 5 %: the fee first, the suspended project's
    share to the pool, on this page and in the transparency's kinds."""
    fund_setting_change(
        key=FundSettingKey.MANAGEMENT_FEE_BP,
        value=500,
        effective_at=datetime(2026, 1, 1, tzinfo=UTC),
        decision_reference="AG-2026-01",
    )
    kept, dropped = (ProjectFactory.create(status=ProjectStatus.ADMITTED) for _ in range(2))
    give(
        ContributorFactory.create(),
        10_000,
        datetime(2026, 6, 3, tzinfo=UTC),
        {kept: 1000, dropped: 2000},
    )
    Project.objects.filter(pk=dropped.pk).update(status=ProjectStatus.SUSPENDED)
    run = allocation_month_run(period="2026-06", at=datetime(2026, 7, 2, tzinfo=UTC))
    receipt = Receipt.objects.get()
    trace = receipt_trace(receipt=receipt)
    assert trace.fee == 500
    assert trace.fee_cents == 500
    assert trace.ineligible == [dropped.name]
    assert [(s.name, s.earmarked) for s in trace.projects] == [(kept.name, Fraction(950))]
    assert trace.pool == 8_550
    assert trace.pool_kept == 8_550  # no round in force: all of it waits
    text = _client(receipt).get(f"/en/transparency/receipts/{receipt.pk}/").text
    assert "so their share went to the pool" in text
    assert "Still in the common pool" in text
    assert rounded(Fraction(-3, 2)) == -2
    (people,) = (row for row in overview().kinds if row.net_cents)
    assert (people.fee_cents, people.earmarked_cents, people.pool_cents) == (500, 950, 8_550)
    assert run.fee_cents == 500


def test_a_later_run_with_an_empty_pool_shares_none_of_it() -> None:
    """A run whose pool (carried and new) is not positive shares nothing, even
    with a round in force: the receipt's pool money still waits."""
    project = ProjectFactory.create(status=ProjectStatus.ADMITTED)
    earlier = AllocationRun(period_start_at=datetime(2026, 8, 1, tzinfo=UTC))
    AllocationRun.objects.create(
        period="2026-09",
        period_start_at=datetime(2026, 8, 31, 22, tzinfo=UTC),
        period_end_at=datetime(2026, 9, 30, 22, tzinfo=UTC),
        status=RunStatus.COMPUTED,
        document_sha256="0" * 64,
        fee_bp=0,
        earmark_cap_bp=5000,
        payout_threshold_cents=5000,
        round_fractions={str(project.pk): "1/2"},
        started_at=datetime(2026, 10, 1, tzinfo=UTC),
    )
    assert pool_given(earlier, Fraction(100)) == ([], Fraction(100))
