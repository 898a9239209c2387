"""What a project received, from the ledger: per month (Europe/Paris) and in total."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db.models import F

from funds.enums import AccountKind
from funds.selectors import (
    account_balance_cents,
    project_received_by_month,
    project_received_totals_cents,
)
from projects.models import Project
from tests.factories import ProjectFactory
from tests.ledger import allocate, pay_out

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_nothing_received_is_an_empty_list() -> None:
    project = ProjectFactory.create()
    assert project_received_by_month(project=project) == []
    assert project_received_by_month(project=project.pk) == []


def test_credits_are_summed_per_paris_month_oldest_first() -> None:
    project, other = ProjectFactory.create(), ProjectFactory.create()
    # 2025-12-31 23:00 UTC is midnight on 1 January in Paris (UTC+1 in winter).
    allocate("run-jan-first-minute", _utc(2025, 12, 31, 23, 0), (project, 1_000))
    # 2026-01-31 22:59 UTC is 23:59 on 31 January in Paris; 23:00 UTC is already February.
    allocate("run-jan-last-minute", _utc(2026, 1, 31, 22, 59), (project, 250), (other, 7))
    allocate("run-feb-first-minute", _utc(2026, 1, 31, 23, 0), (project, 40_000))
    # Summer time from 29 March 2026 (UTC+2): 21:59 UTC on 31 March is still March,
    # 22:00 UTC is 1 April in Paris though still 31 March in UTC.
    allocate("run-mar-last-minute", _utc(2026, 3, 31, 21, 59), (project, 3))
    allocate("run-apr-first-minute", _utc(2026, 3, 31, 22, 0), (project, 123_456))
    allocate("run-apr-later", _utc(2026, 4, 20, 12, 0), (project, 44), (other, 99))

    assert project_received_by_month(project=project) == [
        (date(2026, 1, 1), 1_250),
        (date(2026, 2, 1), 40_000),
        (date(2026, 3, 1), 3),
        (date(2026, 4, 1), 123_500),
    ]
    assert project_received_by_month(project=other.pk) == [
        (date(2026, 1, 1), 7),
        (date(2026, 4, 1), 99),
    ]


def test_payouts_out_of_the_balance_are_not_received() -> None:
    project = ProjectFactory.create()
    allocate("run-1", _utc(2026, 5, 10, 12, 0), (project, 9_000))
    pay_out("payout-1", _utc(2026, 5, 28, 12, 0), project, 9_000)
    allocate("run-2", _utc(2026, 6, 10, 12, 0), (project, 500))
    pay_out("payout-2", _utc(2026, 7, 2, 12, 0), project, 500)

    assert project_received_by_month(project=project) == [
        (date(2026, 5, 1), 9_000),
        (date(2026, 6, 1), 500),
    ]
    assert account_balance_cents(kind=AccountKind.PROJECT, project=project) == 0


def test_a_returned_payout_is_not_received_twice() -> None:
    """A payout the bank returns puts the money back on the balance (a credit booked
    by the payout side): it was received once, when it was allocated."""
    project = ProjectFactory.create()
    allocate("run-1", _utc(2026, 5, 10, 12, 0), (project, 6_000))
    pay_out("payout-1", _utc(2026, 5, 28, 12, 0), project, 6_000)
    pay_out("payout-1-returned", _utc(2026, 6, 3, 12, 0), project, -6_000)

    assert project_received_by_month(project=project) == [(date(2026, 5, 1), 6_000)]
    assert account_balance_cents(kind=AccountKind.PROJECT, project=project) == 6_000
    received = (
        Project.objects.annotate(received=project_received_totals_cents())
        .values_list("received", flat=True)
        .get(pk=project.pk)
    )
    assert received == 6_000


def test_received_by_month_is_one_query(django_assert_num_queries: Any) -> None:
    project = ProjectFactory.create()
    for month in range(1, 13):
        allocate(f"run-{month}", _utc(2026, month, 15, 12, 0), (project, month * 100))
        pay_out(f"payout-{month}", _utc(2026, month, 20, 12, 0), project, month * 100)
    with django_assert_num_queries(1):
        months = project_received_by_month(project=project.pk)
    assert months == [(date(2026, month, 1), month * 100) for month in range(1, 13)]


def test_totals_sort_the_catalogue_in_one_query(django_assert_num_queries: Any) -> None:
    big = ProjectFactory.create(name="Big")
    small = ProjectFactory.create(name="Small")
    paid_out = ProjectFactory.create(name="Paid out")
    ProjectFactory.create(name="Nothing")
    ProjectFactory.create(name="Also nothing")
    allocate("run-1", _utc(2026, 1, 10, 12, 0), (big, 70_000), (small, 1), (paid_out, 5_000))
    allocate("run-2", _utc(2026, 2, 10, 12, 0), (big, 30_000), (small, 2))
    pay_out("payout-1", _utc(2026, 2, 20, 12, 0), big, 100_000)
    pay_out("payout-2", _utc(2026, 2, 20, 12, 0), paid_out, 5_000)

    with django_assert_num_queries(1):
        rows = list(
            Project.objects.annotate(received=project_received_totals_cents())
            .order_by(F("received").desc(), "name")
            .values_list("name", "received")
        )
    assert rows == [
        ("Big", 100_000),
        ("Paid out", 5_000),
        ("Small", 3),
        ("Also nothing", 0),
        ("Nothing", 0),
    ]
    for project in (big, small, paid_out):
        monthly = sum(cents for _month, cents in project_received_by_month(project=project))
        assert monthly == dict(rows)[project.name]
