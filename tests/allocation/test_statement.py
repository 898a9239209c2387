"""The yearly statement: a contributor's receipts of the year and where they
went, summed over them in the database, equal to the sum of each receipt's
own trace; a PDF in French and English, for the contributor only."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from allocation.selectors_receipts import receipt_trace
from allocation.selectors_statement import contributor_statement, statement_years
from allocation.services import allocation_month_run
from contributors.models import Contributor
from funds.enums import FundSettingKey
from funds.models import Receipt
from funds.services import fund_setting_change
from projects.enums import ProjectStatus
from projects.models import Project
from tests.allocation.disbursement import computed_month
from tests.allocation.transparency_data import april_run, funded_months, give
from tests.factories import ProjectFactory
from tests.factories.core import ContributorFactory
from tests.funds.test_money import _pdf_text

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _client(contributor: Contributor) -> Client:
    assert contributor.user is not None
    client = Client()
    client.force_login(contributor.user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _summed_traces(receipts: list[Receipt]) -> dict[str, Fraction]:
    totals: dict[str, Fraction] = {}
    for receipt in receipts:
        trace = receipt_trace(receipt=receipt)
        for share in trace.projects:
            totals[share.name] = totals.get(share.name, Fraction(0)) + share.total
    return totals


def test_the_statement_is_the_sum_of_its_receipts_traces() -> None:
    month = computed_month()
    org = Receipt.objects.get(gross_cents=24_000).contributor
    # The same contributor gives twice more: in April (allocated) and in May (waiting).
    give(org, 3_000, datetime(2026, 4, 20, tzinfo=UTC), {month.small: 4000})
    april_run(month)
    give(org, 500, datetime(2026, 5, 2, tzinfo=UTC), {})
    statement = contributor_statement(contributor=org, year=2026)
    assert [r.gross_cents for r in statement.receipts] == [24_000, 3_000, 500]
    assert statement.net_cents == 27_500
    assert statement.unallocated_cents == 500
    allocated = [r for r in statement.receipts if r.gross_cents != 500]
    exact = _summed_traces(allocated)
    assert {p.name: p.earmarked + p.from_pool for p in statement.projects} == exact
    kept = sum((receipt_trace(receipt=r).pool_kept for r in allocated), Fraction(0))
    assert statement.pool_kept == kept
    assert statement.fee == 0
    total = sum((p.earmarked + p.from_pool for p in statement.projects), Fraction(0))
    assert total + statement.pool_kept + statement.unallocated_cents == statement.net_cents
    assert contributor_statement(contributor=org, year=2025).receipts == []
    assert statement_years(contributors=Contributor.objects.filter(pk=org.pk)) == [
        (org.pk, org.name, 2026)
    ]


def test_the_statement_queries_do_not_grow_with_the_receipts() -> None:
    month = computed_month()
    org = Receipt.objects.get(gross_cents=24_000).contributor

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            contributor_statement(contributor=org, year=2026)
        return len(queries)

    small = count()
    for day in range(1, 9):
        give(org, 1_000 + day, datetime(2026, 4, day, tzinfo=UTC), {month.small: 1000})
    april_run(month)
    assert count() == small


@pytest.mark.parametrize(
    ("language", "title"), [("en", "Contributions of 2026"), ("fr", "Contributions de 2026")]
)
def test_the_pdf_in_each_language(language: str, title: str) -> None:
    data: dict[str, Any] = funded_months()
    receipt = Receipt.objects.get(gross_cents=100_001)
    client = _client(receipt.contributor)
    mine = client.get("/en/contribute/mine/").text
    url = f"/en/transparency/statements/{receipt.contributor_id}/2026-{language}.pdf"
    assert f'href="{url}"' in mine
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(_pdf_text(response.content))
    assert title in text
    assert data["month"].paid.name in text
    assert client.get(url.replace(language, "de")).status_code == 404
    other = Receipt.objects.get(gross_cents=24_000).contributor
    assert client.get(f"/en/transparency/statements/{other.pk}/2026-en.pdf").status_code == 404


def test_a_suspended_projects_share_and_the_fee_in_the_statement() -> None:
    fund_setting_change(
        key=FundSettingKey.MANAGEMENT_FEE_BP,
        value=300,
        effective_at=datetime(2026, 1, 1, tzinfo=UTC),
        decision_reference="AG-2026-02",
    )
    kept, dropped = (ProjectFactory.create(status=ProjectStatus.ADMITTED) for _ in range(2))
    person = ContributorFactory.create()
    give(person, 7_001, datetime(2026, 6, 3, tzinfo=UTC), {kept: 1500, dropped: 2500})
    Project.objects.filter(pk=dropped.pk).update(status=ProjectStatus.SUSPENDED)
    allocation_month_run(period="2026-06", at=datetime(2026, 7, 2, tzinfo=UTC))
    statement = contributor_statement(contributor=person, year=2026)
    trace = receipt_trace(receipt=Receipt.objects.get(contributor=person))
    assert statement.fee == trace.fee == Fraction(7_001 * 3, 100)
    assert [(p.name, p.earmarked) for p in statement.projects] == [
        (kept.name, trace.projects[0].earmarked)
    ]
    assert statement.pool_kept == trace.pool_kept == trace.pool
