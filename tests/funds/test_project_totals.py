"""Each project's monthly totals, kept by the ledger as it books and checked
against its legs by `check_books`."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import F

from funds.enums import AccountKind, JournalSource
from funds.models import ProjectMonthTotal, ProjectTotal
from funds.selectors import (
    ProjectTotals,
    books_check,
    project_totals,
    project_totals_from_ledger,
)
from funds.services import journal_post, ledger_account
from funds.services.ledger import project_month
from tests.factories import ProjectFactory
from tests.ledger import allocate, pay_out

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _utc(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def _earmarks(external_id: str, at: datetime, *shares: tuple[Any, int]) -> None:
    """A run's first journal: receipts to earmarked projects (and the pool)."""
    total = sum(cents for _p, cents in shares)
    journal_post(
        source=JournalSource.ALLOCATION,
        external_id=external_id,
        memo="earmarks",
        booked_at=at,
        legs=[
            (ledger_account(kind=AccountKind.UNALLOCATED), total + 1_000),
            (ledger_account(kind=AccountKind.POOL), -1_000),
            *((ledger_account(kind=AccountKind.PROJECT, project=p), -c) for p, c in shares),
        ],
    )


def _totals() -> dict[tuple[int, date], ProjectTotals]:
    return {
        (row.project_id, row.month): ProjectTotals(
            received_cents=row.received_cents,
            earmarked_cents=row.earmarked_cents,
            pool_cents=row.pool_cents,
            paid_cents=row.paid_cents,
            balance_cents=row.balance_cents,
        )
        for row in ProjectMonthTotal.objects.all()
    }


def _history() -> tuple[Any, Any]:
    project, other = ProjectFactory.create(), ProjectFactory.create()
    _earmarks("run-2026-01-receipts", _utc(2026, 1, 31), (project, 700), (other, 30))
    allocate("run-2026-01-pool", _utc(2026, 1, 31), (project, 300), (other, 20))
    pay_out("batch-2026-01", _utc(2026, 2, 5), project, 1_000)
    pay_out("payout-1-returned", _utc(2026, 2, 20), project, -1_000)
    # A month whose refunds outweigh its earmarks: a debit from the allocation.
    _earmarks("run-2026-02-receipts", _utc(2026, 2, 28), (project, -200), (other, 5))
    return project, other


def test_every_posting_on_a_project_balance_adds_to_its_month() -> None:
    project, other = _history()
    jan, feb = date(2026, 1, 1), date(2026, 2, 1)
    assert _totals() == {
        (project.pk, jan): ProjectTotals(1_000, 700, 300, 0, 1_000),
        (other.pk, jan): ProjectTotals(50, 30, 20, 0, 50),
        (project.pk, feb): ProjectTotals(0, -200, 0, 0, -200),
        (other.pk, feb): ProjectTotals(5, 5, 0, 0, 5),
    }
    assert project_totals(project=project) == ProjectTotals(1_000, 500, 300, 0, 800)
    assert str(ProjectMonthTotal.objects.get(project=other, month=feb)) == f"{other.pk}:2026-02"
    assert project_totals(project=other.pk).balance_cents == 55
    assert project_totals_from_ledger() == _totals()
    assert books_check() == []
    # Since the fund began: one row per project, the sum of its months.
    assert _lifetime() == {
        project.pk: ProjectTotals(1_000, 500, 300, 0, 800),
        other.pk: ProjectTotals(55, 35, 20, 0, 55),
    }
    assert str(ProjectTotal.objects.get(project=other)) == f"{other.pk}: 55 received"


def _lifetime() -> dict[int, ProjectTotals]:
    return {
        row.project_id: ProjectTotals(
            received_cents=row.received_cents,
            earmarked_cents=row.earmarked_cents,
            pool_cents=row.pool_cents,
            paid_cents=row.paid_cents,
            balance_cents=row.balance_cents,
        )
        for row in ProjectTotal.objects.all()
    }


def test_a_project_without_money_has_zero_totals() -> None:
    assert project_totals(project=ProjectFactory.create()) == ProjectTotals()


def test_a_replayed_journal_adds_nothing() -> None:
    project = ProjectFactory.create()
    allocate("run-1", _utc(2026, 3, 31), (project, 400))
    allocate("run-1", _utc(2026, 3, 31), (project, 400))
    assert project_totals(project=project) == ProjectTotals(400, 0, 400, 0, 400)
    assert _lifetime() == {project.pk: ProjectTotals(400, 0, 400, 0, 400)}


def test_journals_without_a_project_leave_the_totals_alone() -> None:
    journal_post(
        source=JournalSource.ALLOCATION,
        external_id="fee",
        memo="",
        legs=[
            (ledger_account(kind=AccountKind.UNALLOCATED), 100),
            (ledger_account(kind=AccountKind.OPERATING), -100),
        ],
    )
    assert not ProjectMonthTotal.objects.exists()
    assert not ProjectTotal.objects.exists()


def test_the_month_is_the_paris_one() -> None:
    # 23:30 UTC on 31 March 2026 is 1 April in Paris (summer time).
    assert project_month(datetime(2026, 3, 31, 23, 30, tzinfo=UTC)) == date(2026, 4, 1)
    assert project_month(datetime(2026, 3, 31, 21, 30, tzinfo=UTC)) == date(2026, 3, 1)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda: ProjectMonthTotal.objects.filter(month=date(2026, 1, 1)).update(
            received_cents=F("received_cents") + 1
        ),
        lambda: ProjectMonthTotal.objects.filter(month=date(2026, 2, 1)).delete(),
        lambda: ProjectMonthTotal.objects.create(
            project=ProjectFactory.create(), month=date(2025, 1, 1), paid_cents=5
        ),
    ],
    ids=["changed", "missing", "stray"],
)
def test_check_books_reports_totals_that_differ_from_the_ledger(corrupt: Any) -> None:
    _history()
    corrupt()
    problems = books_check()
    # The months no longer match the ledger, nor the totals since the beginning.
    assert [p.invariant for p in problems] == [
        "project_totals_match_ledger",
        "project_totals_match_months",
    ]
    assert "project month totals differ from the ledger: project " in problems[0].detail
    assert "project totals differ from the months: project " in problems[1].detail


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda: ProjectTotal.objects.update(paid_cents=F("paid_cents") + 1),
        lambda: ProjectTotal.objects.all()[:1].get().delete(),
        lambda: ProjectTotal.objects.create(project=ProjectFactory.create(), received_cents=5),
    ],
    ids=["changed", "missing", "stray"],
)
def test_check_books_reports_lifetime_totals_that_differ_from_the_months(corrupt: Any) -> None:
    _history()
    corrupt()
    problems = books_check()
    assert [p.invariant for p in problems] == ["project_totals_match_months"]
    assert "project totals differ from the months: project " in problems[0].detail


def test_the_migration_fills_the_totals_from_the_ledger() -> None:
    _history()
    expected = _totals()
    ProjectMonthTotal.objects.all().delete()
    migration = importlib.import_module("funds.migrations.0011_project_totals")
    migration.fill(apps, SimpleNamespace(connection=connection))
    assert _totals() == expected
    assert books_check() == []


def test_the_lifetime_migration_fills_each_project_from_its_months() -> None:
    _history()
    expected = _lifetime()
    ProjectTotal.objects.all().delete()
    migration = importlib.import_module("funds.migrations.0013_project_lifetime_totals")
    migration.fill(apps, SimpleNamespace(connection=connection))
    assert _lifetime() == expected
    assert books_check() == []
