"""The transparency pages as visitors get them: the whole page kept in the shared
cache for anonymous visitors is refreshed when a run completes or a payout
changes state (and only then, before `PUBLIC_PAGE_CACHE_SECONDS`); the charts
of money received and paid per month; a receipt's page in a number of queries
that does not grow with the history; and the demo shows money on every one of
these pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from allocation import selectors_transparency as transparency
from allocation.enums import PayoutStatus
from allocation.models import AllocationRun, Payout, RunDestination
from allocation.selectors_projects import round_received
from allocation.selectors_receipts import receipt_trace
from allocation.services import allocation_month_run, payout_transition
from allocation.views import PROJECTS_PER_PAGE
from contributors.models import User
from demo import data as demo
from funds.models import Receipt
from funds.money import format_money
from governance.enums import BallotKind, BallotStatus
from projects.enums import ProjectStatus
from projects.models import Project
from projects.services.catalogue import projects_written
from tests.allocation.transparency_data import AFTER_APRIL, funded_months, give
from tests.factories import ProjectFactory
from tests.factories.core import ContributorFactory
from tests.factories.governance import BallotFactory
from tests.funds.test_money import _pdf_text

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

URL = "/en/transparency/"


def _client_of(user: User | None) -> Client:
    assert user is not None
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _queries(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.text


def test_the_visitors_cached_page_is_refreshed_when_a_run_completes_or_a_payout_moves(
    anonymous: Client, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PUBLIC_PAGE_CACHE_SECONDS = 300
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        funded = funded_months()
    _count, first = _queries(anonymous, URL)
    assert "/en/transparency/runs/2026-05.json" not in first
    # A receipt booked between two runs shows within the cache's time, not at once:
    # the page is served from the cache, without a query.
    with django_capture_on_commit_callbacks(execute=True):
        give(ContributorFactory.create(), 1_000, datetime(2026, 5, 9, tzinfo=UTC), {})
    assert _queries(anonymous, URL) == (0, first)
    # A payout changes state: the next visitor gets the page afresh.
    payout = Payout.objects.get(status=PayoutStatus.SENT, project=funded["month"].paid)
    with django_capture_on_commit_callbacks(execute=True):
        payout_transition(payout=payout, to_status=PayoutStatus.PAID, actor=funded["ada"].user)
    count, paid = _queries(anonymous, URL)
    assert count > 0
    assert paid != first
    assert 'id="paid-chart' in paid
    assert format_money(payout.amount_cents, locale="en") in paid
    assert _queries(anonymous, URL) == (0, paid)
    # A run completes: the next visitor sees its month.
    with django_capture_on_commit_callbacks(execute=True):
        allocation_month_run(period="2026-05", at=datetime(2026, 6, 2, tzinfo=UTC))
    count, after_run = _queries(anonymous, URL)
    assert count > 0
    assert "/en/transparency/runs/2026-05.json" in after_run


def test_the_charts_of_money_received_and_paid_per_month(
    anonymous: Client, django_capture_on_commit_callbacks: Any
) -> None:
    funded = funded_months()
    figures = transparency.overview()
    received = {row.month.strftime("%Y-%m"): row.amount_cents for row in figures.received_by_month}
    assert set(received) == {"2026-03", "2026-04", "2026-05"}
    assert sum(received.values()) == figures.net_cents + figures.unallocated_cents
    text = anonymous.get(URL).text
    assert 'id="received-chart' in text
    for cents in received.values():
        assert format_money(cents, locale="en") in text
    assert "No payout has reached a project yet." in text
    payout = Payout.objects.get(status=PayoutStatus.SENT, project=funded["month"].paid)
    payout_transition(payout=payout, to_status=PayoutStatus.PAID, actor=funded["ada"].user)
    paid = transparency.overview().paid_by_month
    assert [row.amount_cents for row in paid] == [payout.amount_cents]
    text = anonymous.get(URL).text
    assert 'id="paid-chart' in text
    assert "No payout has reached a project yet." not in text


def test_a_receipts_page_queries_do_not_grow_with_the_history() -> None:
    funded = funded_months()
    receipt = Receipt.objects.get(gross_cents=24_000)  # March's, shared by April's round
    client = _client_of(receipt.contributor.user)
    url = f"/en/transparency/receipts/{receipt.pk}/"
    client.get(url)  # the session's and the site's first reads
    small, _text = _queries(client, url)
    for day in range(1, 6):
        give(
            ContributorFactory.create(),
            2_000 + day,
            datetime(2026, 5, day, tzinfo=UTC),
            {funded["month"].small: 2000},
        )
    allocation_month_run(period="2026-05", at=datetime(2026, 6, 2, tzinfo=UTC))
    allocation_month_run(period="2026-06", at=datetime(2026, 7, 2, tzinfo=UTC))
    assert len(receipt_trace(receipt=receipt).projects) >= 2
    assert _queries(client, url)[0] == small


def _april_round(shares: dict[str, str]) -> None:
    """A released pool round in force for April 2026, sharing it by `shares`."""
    BallotFactory.create(
        kind=BallotKind.ROUND,
        status=BallotStatus.RELEASED,
        adopted=True,
        released_at=datetime(2026, 4, 1, tzinfo=UTC),
        decision_number="2026-04/2",
        result={"shares": shares},
    )


def test_the_projects_that_received_money_are_paginated(anonymous: Client) -> None:
    """One more project than a page holds, each given a share of April's pool."""
    projects = ProjectFactory.create_batch(PROJECTS_PER_PAGE + 1, status=ProjectStatus.ADMITTED)
    _april_round({str(p.pk): f"1/{len(projects)}" for p in projects})
    give(ContributorFactory.create(), 100_000, datetime(2026, 4, 12, tzinfo=UTC), {})
    allocation_month_run(period="2026-04", at=AFTER_APRIL)
    first = anonymous.get(URL)
    assert first.context["projects"].paginator.num_pages == 2
    assert len(first.context["projects"].object_list) == PROJECTS_PER_PAGE
    assert "page=2#projects-title" in first.text
    month = anonymous.get(f"{URL}?month=2026-04&page=2")
    assert len(month.context["projects"].object_list) == 1
    assert "month=2026-04&amp;page=1#projects-title" in month.text
    # The run's own page too: largest first, a page at a time.
    run_page = anonymous.get("/en/transparency/runs/2026-04/")
    assert run_page.context["projects"].paginator.num_pages == 2
    assert len(run_page.context["projects"].object_list) == PROJECTS_PER_PAGE
    assert "?page=2#projects-title" in run_page.text
    last = anonymous.get("/en/transparency/runs/2026-04/?page=2")
    assert len(last.context["projects"].object_list) == 1
    assert last.context["projects"].object_list[0].name in last.text
    assert anonymous.get("/en/transparency/runs/2026-04/?page=9").context["projects"].number == 2


def test_a_run_page_ranks_once_and_reads_its_own_projects(
    anonymous: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """Largest first, ties by name whatever the case; the ranking is summed once
    (a computed run never changes) and a page then reads only its projects' names,
    which a project written afterwards shows at once."""
    names = ["delta", "Alpha", "Charlie", "bravo"]
    projects = [ProjectFactory.create(name=n, status=ProjectStatus.ADMITTED) for n in names]
    shares = {str(projects[0].pk): "1/2", **{str(p.pk): "1/6" for p in projects[1:]}}
    _april_round(shares)
    give(ContributorFactory.create(), 120_000, datetime(2026, 4, 12, tzinfo=UTC), {})
    allocation_month_run(period="2026-04", at=AFTER_APRIL)
    page = "/en/transparency/runs/2026-04/"

    def shown() -> list[Any]:
        return list(anonymous.get(page).context["projects"].object_list)

    rows = shown()
    assert rows[0].name == "delta"  # half the pool
    assert sorted(p.name for p in rows) == sorted(names)
    assert rows == sorted(rows, key=lambda p: (-p.total_cents, p.name.lower()))
    # the ranking kept: the run, then the page's names (no sum over the run's rows)
    with CaptureQueriesContext(connection) as queries:
        anonymous.get(page)
    assert len(queries) == 2  # the run and its page's projects
    assert not any("allocation_rundestination" in q["sql"] for q in queries)
    Project.objects.filter(pk=projects[0].pk).update(name="Echo")
    assert shown()[0].name == "Echo"  # names are read afresh with each page
    with django_capture_on_commit_callbacks(execute=True):  # a service wrote a project
        projects_written(project_ids=[projects[0].pk])  # (the public version moves at commit)
    with CaptureQueriesContext(connection) as queries:
        assert shown()[0].name == "Echo"
    assert sum("allocation_rundestination" in q["sql"] for q in queries) == 1


def _non_zero(text: str) -> list[str]:
    """The euro amounts of a page that are not zero."""
    return [a for a in re.findall(r"€[\d,]+\.\d\d", text) if re.search(r"[1-9]", a)]


def test_the_demo_shows_money_on_every_transparency_page(anonymous: Client) -> None:
    demo.demo_load()
    figures = transparency.overview()
    assert figures.net_cents > 0
    assert figures.projects_received_cents > 0
    assert figures.payouts_ordered_cents > 0
    text = anonymous.get(URL).text
    for cents in (
        figures.net_cents,
        figures.projects_received_cents,
        figures.payouts_ordered_cents,
    ):
        assert format_money(cents, locale="en") in text
    assert "sankey__link--pool" in text
    run = AllocationRun.objects.get()
    assert _non_zero(anonymous.get(f"/en/transparency/runs/{run.period}/").text)
    # Each project the month gave money to: its month, its round, its balance or payout.
    given = RunDestination.objects.filter(run=run, project__isnull=False).exclude(cents=0)
    assert given.count() >= 2
    for project in Project.objects.filter(pk__in=given.values("project_id")):
        page = anonymous.get(f"/en/projects/{project.slug}/").text
        cents = sum(row.cents for row in given if row.project_id == project.pk)
        assert format_money(cents, locale="en") in page
        assert f">{run.round_decision_number}</a>" in page
    # The released round's decision page: the euros the run gave by it.
    assert run.round_ballot_id is not None
    received = round_received(ballot_id=run.round_ballot_id)
    assert received.total_cents == run.pool_shared_cents > 0
    decision = anonymous.get(f"/en/governance/register/{run.round_ballot_id}/").text
    assert format_money(received.total_cents, locale="en") in decision
    # The demo contributor: where each receipt went, and the yearly statement.
    client = _client_of(User.objects.get(email=demo.CONTRIBUTOR.email))
    mine = client.get("/en/contribute/mine/").text
    receipts = sorted(set(re.findall(r'href="(/en/transparency/receipts/\d+/)"', mine)))
    assert len(receipts) >= 2
    for url in receipts:
        trace = client.get(url)
        assert trace.status_code == 200
        assert "by round" in trace.text
        assert len(_non_zero(trace.text)) >= 3
    statements = sorted(set(re.findall(r'href="(/en/transparency/statements/[^"]+\.pdf)"', mine)))
    assert [url[-6:] for url in statements] == ["en.pdf", "fr.pdf"]
    english = " ".join(_pdf_text(client.get(statements[0]).content))
    assert "LibreOffice" in english
    assert _non_zero(english)
