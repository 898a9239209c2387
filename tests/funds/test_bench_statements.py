"""The statement benchmark of issue 16 (`funds.benchmarks.statements.run`, run
by `manage.py bench_money`): it runs at tiny sizes here (its timings are never
asserted), books every entry of its statements, prints its figures, and leaves
the database as it found it."""

from __future__ import annotations

import re
from io import StringIO

import pytest

from contributors.models import Contributor, Pledge
from funds.benchmarks.statements import run
from funds.models import BankStatement, BankStatementLine, Journal, Payment, PaymentRequest, Receipt
from librery.models import LogEntry
from projects.models import Project

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

MODELS = (
    Project,
    Contributor,
    Pledge,
    Payment,
    PaymentRequest,
    BankStatement,
    BankStatementLine,
    Receipt,
    Journal,
    LogEntry,
)
SIZE = (
    r"{n} entries: {n} payment requests and a \d+\.\d MiB statement built \(\d+\.\d s\)",
    r"  upload \d+ ms, \d+ queries; task \d+\.\d\d s for {n} booked = \d+\.\d\d ms per entry, "
    r"\d+\.\d queries per entry, \d+\.\d\d ms of this process's CPU per entry \(status done\)",
)


def test_the_benchmark_books_every_entry_prints_its_figures_and_leaves_nothing() -> None:
    before = {model.__name__: model.objects.count() for model in MODELS}
    out = StringIO()
    run(out, [3, 6])
    lines = out.getvalue().splitlines()
    expected = [
        *(pattern.format(n=3) for pattern in SIZE),
        *(pattern.format(n=6) for pattern in SIZE),
        r"statements: at most \d+\.\d\d ms per entry \((PASS|FAIL) <= 3\.0 ms\); "
        r"\d+\.\d\d x per entry at 6 vs 3 \((PASS|FAIL) <= 1\.5 x, linear\)",
    ]
    assert len(lines) == len(expected), lines
    for line, pattern in zip(lines, expected, strict=True):
        assert re.fullmatch(pattern, line), (line, pattern)
    assert {model.__name__: model.objects.count() for model in MODELS} == before
