"""The public transparency page: its figures equal the ledger's, each kind of
contributor's split sums to what it gave, the flow diagram and its table say
the same, lists are paginated, queries do not grow with the data, and the page
is served from the cache until a run is computed or a payout moves."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext

from allocation import selectors_transparency as transparency
from allocation.enums import PayoutStatus
from allocation.models import Payout
from allocation.sankey import Node, sankey
from allocation.services import payout_transition
from contributors.enums import ContributorKind, Visibility
from funds.enums import AccountKind, JournalSource
from funds.models import JournalLeg
from funds.selectors import account_balance_cents, books_check
from projects.enums import ProjectStatus
from tests.allocation.disbursement import computed_month
from tests.allocation.transparency_data import april_run, funded_months
from tests.factories import ProjectFactory
from tests.factories.core import ContributorFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def funded() -> dict[str, Any]:
    return funded_months()


def _credited(kind: str, source: str | None = None) -> int:
    legs = JournalLeg.objects.filter(account__kind=kind, amount_cents__lt=0)
    if source:
        legs = legs.filter(journal__source=source)
    return -int(legs.aggregate(total=Sum("amount_cents"))["total"] or 0)


def test_the_figures_are_the_ledgers(funded: dict[str, Any]) -> None:
    assert books_check() == []
    figures = transparency.overview()
    # Everything received: allocated by runs, or still waiting.
    # Receipts book their gross as unallocated, their processor fees apart.
    fees = JournalLeg.objects.filter(
        account__kind=AccountKind.PROCESSOR_FEES, journal__source=JournalSource.RECEIPT
    ).aggregate(total=Sum("amount_cents"))["total"]
    received = _credited(AccountKind.UNALLOCATED, JournalSource.RECEIPT) - fees
    assert figures.net_cents + figures.unallocated_cents == received
    assert (
        figures.unallocated_cents
        == 4_158
        == account_balance_cents(kind=AccountKind.UNALLOCATED)
        - account_balance_cents(kind=AccountKind.PROCESSOR_FEES)
    )
    assert figures.unallocated_count == 1
    assert figures.fee_cents == account_balance_cents(kind=AccountKind.OPERATING)
    assert figures.pool_carried_out_cents == account_balance_cents(kind=AccountKind.POOL)
    assert figures.projects_received_cents == _credited(
        AccountKind.PROJECT, JournalSource.ALLOCATION
    )
    # The payouts account is debit-normal: the batch credits it.
    assert figures.payouts_ordered_cents == -account_balance_cents(kind=AccountKind.PAYOUTS) > 0
    assert figures.in_progress_cents == 12_000
    assert figures.paid_cents == 0
    # The whole flows: received = fee + earmarked + pool in; pool in = shared + kept.
    assert figures.net_cents == figures.fee_cents + figures.earmarked_cents + figures.pool_in_cents
    assert figures.pool_in_cents == figures.pool_shared_cents + figures.pool_carried_out_cents
    # Each kind's split sums to what it gave; the kinds sum to the total received.
    assert sum(row.net_cents for row in figures.kinds) == figures.net_cents
    for row in figures.kinds:
        assert row.fee_cents + row.earmarked_cents + row.pool_cents == row.net_cents
    assert {row.key: row.net_cents > 0 for row in figures.kinds} == {
        "public": True,
        "company": True,
        "association": True,
        "person": True,
    }
    # Columns are the exact shares rounded: within a cent per month and kind of the runs'.
    assert abs(sum(r.earmarked_cents for r in figures.kinds) - figures.earmarked_cents) <= 8
    projects = list(transparency.project_rows())
    assert sum(p["total_cents"] for p in projects) == figures.projects_received_cents
    assert sum(p["pool_cents"] for p in projects) == figures.pool_shared_cents > 0


def test_one_month_has_its_round_and_the_pool_it_carried_in(funded: dict[str, Any]) -> None:
    april = funded["april"]
    figures = transparency.overview(run=april)
    assert figures.net_cents == april.net_cents
    assert figures.pool_carried_in_cents == april.pool_carried_in_cents > 0
    assert figures.pool_in_cents + figures.pool_carried_in_cents == (
        figures.pool_shared_cents + figures.pool_carried_out_cents
    )
    assert figures.payouts_ordered_cents == 0  # April's report has no batch yet
    assert {r["project_id"] for r in transparency.project_rows(run=april)} == {
        funded["month"].paid.pk,
        funded["month"].small.pk,
        funded["month"].unverified.pk,
    }


def test_the_diagram_and_its_table_carry_the_same_figures(funded: dict[str, Any]) -> None:
    figures = transparency.overview(run=funded["april"])
    top = list(transparency.project_rows(run=funded["april"])[:1])
    diagram = transparency.flow_diagram(figures=figures, top=top)
    assert diagram is not None
    into = {n.key: 0 for n in diagram.nodes}
    out = {n.key: 0 for n in diagram.nodes}
    for link in diagram.links:
        out[link.source.key] += link.cents
        into[link.target.key] += link.cents
    # What enters the pool and earmarks leaves them, to projects or kept.
    for key in (transparency.EARMARKS, transparency.POOL):
        assert into[key] == out[key]
    assert into["others"] + into[f"project:{top[0]['project_id']}"] == (
        figures.projects_received_cents
    )
    assert into["kept"] == figures.pool_carried_out_cents
    assert out["carried"] == figures.pool_carried_in_cents


def test_the_sankey_draws_nothing_without_money() -> None:
    assert sankey(nodes=[Node(key="a", label="A", cents=0, column=0)], flows=[]) is None
    drawn = sankey(
        nodes=[
            Node(key="a", label="A", cents=10, column=0),
            Node(key="b", label="B", cents=10, column=2),
        ],
        flows=[("a", "b", 10), ("a", "missing", 5), ("a", "b", 0)],
    )
    assert drawn is not None
    assert [(link.source.key, link.target.key) for link in drawn.links] == [("a", "b")]
    assert drawn.links[0].tone == "earmark"
    assert drawn.nodes[0].label_anchor == "end"
    assert drawn.nodes[1].label_anchor == "start"
    assert drawn.nodes[1].label_x > drawn.nodes[1].x


def test_the_page_shows_the_figures(anonymous: Client, funded: dict[str, Any]) -> None:
    figures = transparency.overview()
    page = anonymous.get("/en/transparency/")
    assert page.status_code == 200
    text = page.text
    for label in ("Public bodies", "Companies", "Associations and foundations", "People"):
        assert label in text
    assert "sankey__link--pool" in text
    assert "sankey__link--earmark" in text
    assert 'id="flows"' in text
    assert "Alpha Paid" in text
    assert "/en/transparency/runs/2026-04.json" in text
    assert "/en/governance/register/" in text
    for cents in (figures.net_cents, figures.unallocated_cents, figures.paid_cents):
        from funds.money import format_money  # noqa: PLC0415

        assert format_money(cents, locale="en") in text
    month = anonymous.get("/en/transparency/?month=2026-04")
    assert "2026-04/1" in month.text
    assert "The pool was shared by the round of decision" in month.text
    assert anonymous.get("/en/transparency/?month=2026-03").text.count("No pool allocation round")
    assert anonymous.get("/en/transparency/?month=2025-01").status_code == 404
    assert anonymous.get("/transparency/").status_code == 200  # French


def test_an_empty_fund_says_so(anonymous: Client) -> None:
    text = anonymous.get("/en/transparency/").text
    assert "No money has been allocated yet." in text
    assert "No project has received money yet." in text
    assert "No payout has reached a project yet." in text


def test_lists_are_paginated(anonymous: Client) -> None:
    ContributorFactory.create_batch(transparency_page_size() + 1)
    secret = ContributorFactory.create_batch(3, visibility=Visibility.SECRET, name="Hidden one")
    first = anonymous.get("/en/transparency/")
    # Counted once, with the page's figures: those who appear, the secret ones aside.
    assert first.context["contributors"].paginator.count == transparency_page_size() + 1
    assert first.context["figures"]["contributors_total"] == transparency_page_size() + 1 + 3
    assert first.context["contributors"].paginator.num_pages == 2
    assert secret[0].name not in first.text
    assert "contributors=2#contributors-title" in first.text
    second = anonymous.get("/en/transparency/?contributors=2")
    assert len(second.context["contributors"].object_list) == 1


def transparency_page_size() -> int:
    from allocation.views import CONTRIBUTORS_PER_PAGE  # noqa: PLC0415

    return CONTRIBUTORS_PER_PAGE


def _queries(client: Client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_the_data(anonymous: Client) -> None:
    month = computed_month()
    small = _queries(anonymous, "/en/transparency/")
    april_run(month, extra=12)
    ProjectFactory.create_batch(3, status=ProjectStatus.ADMITTED)
    ContributorFactory.create_batch(5, kind=ContributorKind.PERSON)
    assert _queries(anonymous, "/en/transparency/") == small
    assert _queries(anonymous, "/en/transparency/?month=2026-04") == small + 1  # its run


def test_served_from_the_cache_until_a_payout_moves(
    anonymous: Client, funded: dict[str, Any]
) -> None:
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        anonymous.get("/en/transparency/")
    with CaptureQueriesContext(connection) as warm:
        anonymous.get("/en/transparency/")
    assert len(warm) < len(cold)
    before = transparency.cached("page:all", lambda: None)["overview"].paid_cents
    payout = Payout.objects.filter(status=PayoutStatus.SENT).first()
    assert payout is not None
    payout_transition(payout=payout, to_status=PayoutStatus.PAID, actor=funded["ada"].user)
    page = anonymous.get("/en/transparency/")
    assert page.context["overview"].paid_cents == before + payout.amount_cents


def test_a_run_computed_refreshes_the_cached_page(anonymous: Client) -> None:
    month = computed_month()
    cache.clear()
    before = anonymous.get("/en/transparency/").context["overview"]
    assert [m.run.period for m in before.months] == ["2026-03"]
    april_run(month)
    after = anonymous.get("/en/transparency/").context["overview"]
    assert [m.run.period for m in after.months] == ["2026-04", "2026-03"]
    assert after.net_cents > before.net_cents


def _kind_queries(queries: CaptureQueriesContext) -> list[str]:
    """The statements that split runs' receipts by kind of contributor."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if '"contributors_contributor"."kind"' in q["sql"]
    ]


def test_a_run_s_split_by_kind_is_read_once_and_kept() -> None:
    """The page rendered afresh (every few minutes, and after each run) read
    every run's receipts again to split them by kind: 3 s at ten times a
    national fund. Each run's split is kept; only a new run's is read."""
    month = computed_month()
    march_kinds = transparency.overview().kinds
    april = april_run(month)
    with CaptureQueriesContext(connection) as queries:
        both = transparency.overview().kinds
    read = _kind_queries(queries)
    assert len(read) == 2  # the net by kind, the earmarks by kind: April's only
    assert all(f"IN ({april.pk})" in sql for sql in read)
    with CaptureQueriesContext(connection) as queries:
        assert transparency.overview().kinds == both
    assert _kind_queries(queries) == []
    # What is kept sums to what every run read afresh gives.
    cache.clear()
    assert transparency.overview().kinds == both
    assert sum(row.net_cents for row in both) > sum(row.net_cents for row in march_kinds) > 0


def test_the_months_are_read_without_the_round_s_ballot_or_the_document() -> None:
    """Each run's row carries the round's decision number and ballot id: the
    ballot itself (its bundle names every vote) and the run's published
    document stay in the database."""
    month = computed_month()
    april_run(month)
    with CaptureQueriesContext(connection) as queries:
        figures = transparency.overview()
        numbers = [row.run.round_decision_number for row in figures.months]
        ballots = [row.run.round_ballot_id for row in figures.months]
    assert len(numbers) == len(ballots) == 2
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "governance_ballot" not in sql
    assert '"document"' not in sql
    assert "round_fractions" not in sql
