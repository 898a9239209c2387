"""`manage.py bench_allocation`: the benchmark runs (tiny sizes here, its
timings are never asserted), prints its figures, and leaves the database as it
found it. It refuses SQLite and sizes it cannot read."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from allocation.models import AllocationRun, RunDestination, RunReceipt
from contributors.models import Contributor, Pledge
from funds.models import Account, Journal, JournalLeg, Payment, Receipt, ReceiptEarmark
from governance.models import Ballot
from librery.models import LogEntry
from projects.models import Project
from tests.services import is_postgresql, need

pytestmark = [pytest.mark.integration]

MODELS = (
    Project,
    Contributor,
    Pledge,
    Payment,
    Journal,
    JournalLeg,
    Receipt,
    ReceiptEarmark,
    Account,
    Ballot,
    AllocationRun,
    RunReceipt,
    RunDestination,
    LogEntry,
)
SECONDS = r"\d+\.\d s"
RUN = (
    r"  run took {n} receipts: baseline \d+ ms \(best of 3\); "
    r"database phase \d+ ms = \d+\.\d\d x; whole run \d+ ms = \d+\.\d\d x; "
    r"peak memory \d+\.\d MiB \(tracemalloc\), max RSS \+-?\d+\.\d MiB"
)
PARTS = (
    r"  alone: the write of one RunReceipt row per receipt \(best of 3\) \d+ ms = \d+\.\d\d x; "
    r"in the whole run: the document's sha256 \d+ ms = \d+\.\d\d x"
)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.mark.django_db(transaction=True)
def test_the_benchmark_prints_its_figures_and_leaves_nothing() -> None:
    need(is_postgresql(), "the benchmark builds with COPY on PostgreSQL")
    before = _counts()
    out = StringIO()
    call_command("bench_allocation", "--sizes", "200,400", "--projects", "60", stdout=out)
    lines = out.getvalue().splitlines()
    expected = [
        rf"catalogue: 60 admitted projects, 4000 contributors, 6000 pledges, "
        rf"a round over 60 projects \({SECONDS}\)",
        rf"2001-01: 200 receipts, 314 earmark lines built with COPY \({SECONDS}\)",
        RUN.format(n=200),
        PARTS,
        rf"2001-02: 400 receipts, 583 earmark lines built with COPY \({SECONDS}\)",
        RUN.format(n=400),
        PARTS,
        rf"rolled back; wall time {SECONDS}",
        r"floor of the database phase \(the baseline's sums, then the rows it must write, "
        r"each alone\): \d+\.\d\d x",
        r"bars: database phase \d+\.\d\d x <= 1\.5 x (PASS|FAIL); "
        r"whole run \d+\.\d\d x <= 3\.0 x (PASS|FAIL); "
        r"memory at 400 \d+\.\d\d x that at 200 <= 1\.5 x (PASS|FAIL)",
    ]
    assert len(lines) == len(expected), lines
    for line, pattern in zip(lines, expected, strict=True):
        assert re.fullmatch(pattern, line), (line, pattern)
    assert _counts() == before
    # The floor is 1 + the largest ratio of the write alone to the baseline.
    writes = [
        float(m)
        for m in re.findall(r"per receipt \(best of 3\) \d+ ms = (\d+\.\d\d) x", out.getvalue())
    ]
    floor = float(re.findall(r"each alone\): (\d+\.\d\d) x", out.getvalue())[0])
    assert len(writes) == 2
    assert floor > 1
    assert abs(floor - (1 + max(writes))) <= 0.011
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_allocation_floor')")
        assert cursor.fetchone() == (None,)


@pytest.mark.django_db
def test_the_benchmark_refuses_sqlite() -> None:
    if is_postgresql():
        pytest.skip("the refusal is SQLite's")
    with pytest.raises(CommandError, match=r"^bench_allocation needs PostgreSQL"):
        call_command("bench_allocation", "--sizes", "10,20", stdout=StringIO())
    assert AllocationRun.objects.count() == 0


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ("1e5", r"^--sizes takes whole numbers such as 10000,100000, not '1e5'\.$"),
        ("100,0", r"^--sizes takes positive numbers of receipts\.$"),
    ],
)
def test_the_benchmark_refuses_sizes_it_cannot_read(sizes: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("bench_allocation", "--sizes", sizes, stdout=StringIO())
