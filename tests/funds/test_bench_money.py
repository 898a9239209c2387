"""`manage.py bench_money` runs small and prints each of its rows; what it
builds is rolled back."""

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

    assert "webhooks: 3/3 booked;" in printed
    assert "hello-world POSTs/s (Django test client, same middleware)" in printed
    assert "renewals, 0 past payments: 2/2 charged;" in printed
    assert "renewals, 5 past payments: 2/2 charged;" in printed
    assert "nothing due: 2 statements with no pledge, 2 with 3 pledges" in printed
    assert "(PASS: constant)" in printed
    assert "2 entries:" in printed
    assert "statements: at most" in printed
    counts = (Pledge.objects.count(), Payment.objects.count(), Receipt.objects.count())
    assert counts == (0, 0, 0)
    assert StripeEvent.objects.count() == 0


def test_statement_sizes_may_be_skipped_and_the_statement_benchmark_may_be_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "statements:" not in bench("--statement-sizes=")

    monkeypatch.setitem(sys.modules, "funds.benchmarks.statements", None)
    assert "statements: no benchmark" in bench()
