"""`manage.py bench_money` runs small and prints each of its rows: by default
in a database of its own, migrated, committed and dropped, leaving the
configured one as it was; with `--current-database`, committing there."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import call_command

from contributors.models import Pledge
from funds.models import Payment, Receipt, StripeEvent

pytestmark = [pytest.mark.django_db]


def bench(*options: str) -> str:
    out = io.StringIO()
    call_command(
        "bench_money",
        "--events=3",
        "--renewals=2",
        "--past=5",
        "--idle=3",
        *options,
        stdout=out,
    )
    return out.getvalue()


def test_it_prints_every_row_and_leaves_nothing_behind() -> None:
    printed = bench("--statement-sizes=2")

    assert "webhooks, committed: 3 events POSTed, stored and answered:" in printed
    assert "hello-world POSTs/s (Django test client, same middleware;" in printed
    assert "1.0 statements and 1.0 commits per POST" in printed
    assert "webhook bookings, committed: 3/3 booked" in printed
    assert "renewals, committed, 0 past payments: 2/2 charged;" in printed
    assert "renewals, committed, 5 past payments: 2/2 charged;" in printed
    assert "plain-SQL INSERT + COMMIT" in printed
    assert "a lone renewal, committed: 1/1 charged in 15 statements and 2 commits" in printed
    assert "(PASS <= 15 and 2)" in printed
    assert "webhooks, old style (one transaction rolled back, no commit): 3/3 booked;" in printed
    assert (
        "renewals, old style (one transaction rolled back, no commit), 0 past payments" in printed
    )
    assert "nothing due: 2 statements with no pledge, 2 with 3 pledges" in printed
    assert "(PASS: constant)" in printed
    assert "2 entries:" in printed
    assert "statements: at most" in printed
    counts = (Pledge.objects.count(), Payment.objects.count(), Receipt.objects.count())
    assert counts == (0, 0, 0)
    assert StripeEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_statement_sizes_may_be_skipped_and_the_statement_benchmark_may_be_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    printed = bench("--statement-sizes=", "--current-database")
    assert "statements:" not in printed
    assert "webhook bookings, committed: 3/3 booked" in printed
    # Committed here: the webhook benchmark's pledges, and the renewals' (2, 2 and 1).
    assert Receipt.objects.filter(payment__pledge__frequency="monthly").count() == 5
    assert StripeEvent.objects.filter(status="succeeded").count() == 3

    monkeypatch.setitem(sys.modules, "funds.benchmarks.statements", None)
    assert "statements: no benchmark" in bench("--current-database")
