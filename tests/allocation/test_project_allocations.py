"""A project's page: what each monthly allocation gave it (earmarked, from
how many contributors, from the pool by which round), and the earmarked money
waiting for the next allocation, in queries that do not grow with the data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from allocation.selectors_projects import (
    money_stamp,
    project_months,
    project_waiting_allocation,
)
from funds.money import format_money
from tests.allocation.disbursement import computed_month
from tests.allocation.transparency_data import april_run, funded_months, give
from tests.factories.core import ContributorFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def funded() -> dict[str, Any]:
    return funded_months()


def test_each_month_earmarked_by_how_many_and_the_pool_by_its_round(
    anonymous: Client, funded: dict[str, Any]
) -> None:
    alpha = funded["month"].paid
    april, march = project_months(project=alpha)
    assert march.run == funded["month"].run
    assert (march.earmarked_cents, march.contributors, march.pool_cents) == (12_000, 1, 0)
    assert april.run == funded["april"]
    assert april.contributors == 3
    assert april.earmarked_cents > 0
    assert april.pool_cents > 0
    text = anonymous.get(f"/en/projects/{alpha.slug}/").text
    assert "from 3 contributors" in text
    assert "from 1 contributor<" in text
    assert "2026-04/1" in text
    assert format_money(april.total_cents, locale="en") in text
    assert 'id="waiting-allocation"' not in text


def test_earmarked_money_not_allocated_yet_is_waiting(
    anonymous: Client, funded: dict[str, Any]
) -> None:
    alpha = funded["month"].paid
    for cents in (4_000, 1_001):
        give(ContributorFactory.create(), cents, datetime(2026, 5, 6, tzinfo=UTC), {alpha: 2500})
    waiting = project_waiting_allocation(project=alpha)
    assert waiting.cents == (4_000 * 2500 + 1_001 * 2500) // 10_000
    assert waiting.contributors == 2
    text = anonymous.get(f"/en/projects/{alpha.slug}/").text
    assert "€12.50 earmarked by 2 contributors is waiting for the monthly allocation" in text


def test_the_money_sections_kept_rendered_follow_the_books(
    anonymous: Client, funded: dict[str, Any]
) -> None:
    """The sections are kept rendered under the books' stamp: a receipt booked,
    then a run computed, show on the next visit (the page cache is off here)."""
    alpha = funded["month"].paid
    url = f"/en/projects/{alpha.slug}/"
    assert 'id="waiting-allocation"' not in anonymous.get(url).text
    stamp = money_stamp()
    give(ContributorFactory.create(), 4_000, datetime(2026, 5, 6, tzinfo=UTC), {alpha: 2500})
    assert money_stamp() != stamp
    text = anonymous.get(url).text
    assert "€10.00 earmarked by 1 contributor is waiting for the monthly allocation" in text
    assert money_stamp() == money_stamp()  # nothing moved: the same stamp


def test_a_project_never_allocated_says_so(anonymous: Client) -> None:
    month = computed_month()
    text = anonymous.get(f"/en/projects/{month.missing.slug}/").text
    assert "from 1 contributor" in text  # Delta Missing earmarked in March
    assert project_waiting_allocation(project=month.missing).cents == 0


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_project_page_queries_do_not_grow(anonymous: Client) -> None:
    month = computed_month()
    url = f"/en/projects/{month.small.slug}/"
    small = _queries(anonymous, url)
    april_run(month, extra=10)
    give(ContributorFactory.create(), 900, datetime(2026, 5, 6, tzinfo=UTC), {month.small: 100})
    assert _queries(anonymous, url) == small
