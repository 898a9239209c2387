"""`manage.py bench_pages`: the volume it builds keeps the books, and a tiny run
prints a row for every page."""

from __future__ import annotations

from dataclasses import asdict
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from allocation.enums import RunStatus
from allocation.models import AllocationRun
from contributors.models import Contributor
from demo import bench_pages, bench_volume
from funds.models import Receipt
from funds.selectors import books_check, project_totals_from_ledger
from governance.models import Ballot
from projects.models import Project

TINY = 0.0001
PAGE_NAMES = [
    "hello-world view",
    "20-row template page",
    "home",
    "catalogue, page 1",
    "catalogue, search",
    "catalogue, filter",
    "catalogue, most funded",
    "project page",
    "transparency",
    "run page",
    "decision register",
    "API projects",
    "API projects, most funded",
    "API runs",
    "API decisions",
]


def test_the_volume_scales_from_the_issue() -> None:
    assert bench_volume.volume(1) == bench_volume.Volume(
        contributors=10_000,
        pledges=20_000,
        receipts=68_000,
        admitted=60,
        projects=300,
        rounds=243,
        months=36,
    )
    assert bench_volume.volume(10).receipts == 680_000
    assert bench_volume.volume(TINY).months == 2


@pytest.mark.integration
@pytest.mark.django_db
def test_the_volume_is_booked_allocated_and_every_page_answers(settings: Any) -> None:
    settings.ROOT_URLCONF = "demo.bench_urls"
    lines: list[str] = []
    size = bench_volume.fill(scale=TINY, report=lines.append)
    assert Receipt.objects.count() == size.receipts == 60
    assert Contributor.objects.count() == size.contributors
    assert Project.objects.count() == size.projects
    assert Ballot.objects.count() == size.rounds
    assert AllocationRun.objects.filter(status=RunStatus.COMPUTED).count() == 2
    assert lines == ["month 2023-01: 30 receipts allocated", "month 2023-02: 30 receipts allocated"]
    assert books_check() == []
    assert project_totals_from_ledger()  # the runs credited projects
    found = bench_pages.count_queries()
    assert [row["name"] for row in found] == PAGE_NAMES
    assert {row["path"]: row["status"] for row in found} == {row["path"]: 200 for row in found}
    assert all(row["queries"] >= 1 for row in found[2:])
    assert all(row["bytes"] > 0 for row in found)
    # `--filled` measures such a database as it is, counting what it holds
    assert bench_pages.found_volume() == {**asdict(size), "months": 2}
    with pytest.raises(CommandError, match="has projects"):
        call_command("bench_pages", fill_only=True, scale=TINY)


@pytest.mark.django_db
def test_filled_refuses_a_database_without_the_volume() -> None:
    with pytest.raises(CommandError, match="fill it first"):
        call_command("bench_pages", inner=True, filled=True)


def test_wrk_reports_are_read() -> None:
    report = """Running 2s test @ http://127.0.0.1:8870/
  Latency Distribution
     50%    2.50ms
     75%    3.00ms
     90%  800.00us
     99%    1.20s
  1234 requests in 2.00s, 1.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    617.25
"""
    assert bench_pages.wrk_timing(report) == bench_pages.Timing(
        rate=617.25, p50_ms=2.5, p99_ms=1200.0, errors=3
    )
    assert bench_pages.wrk_timing("") == bench_pages.Timing()


def test_the_table_gives_ratios_to_both_baselines() -> None:
    def row(name: str, uncached: float, cached: float) -> bench_pages.Row:
        return bench_pages.Row(
            name=name,
            path="/",
            queries=3,
            size=1000,
            status=200,
            uncached=bench_pages.Timing(rate=uncached, p50_ms=1.0, p99_ms=2.0),
            cached=bench_pages.Timing(rate=cached, p50_ms=1.0, p99_ms=2.0, errors=1),
        )

    lines = bench_pages.table(
        [row("hello", 1000, 1000), row("rows", 200, 800), row("page", 50, 900)]
    )
    assert len(lines) == 5
    assert lines[3].split()[:5] == ["page", "50.0", "0.050", "0.250", "1.0"]
    assert "(1 errors)" in lines[3]
    assert lines[-1] == (
        "lowest uncached: 0.250 x the 20-row page (page; bar 0.5); "
        "lowest cached: 0.900 x hello-world (page; bar 0.8)"
    )


def test_bad_options_are_refused() -> None:
    with pytest.raises(CommandError, match="must be positive"):
        call_command("bench_pages", scale=0)


@pytest.mark.integration
def test_a_tiny_run_prints_every_page() -> None:
    """The whole command: its own database, gunicorn, the Python client."""
    out = StringIO()
    call_command(
        "bench_pages",
        scale=TINY,
        seconds=0.3,
        connections=2,
        workers=1,
        client="python",
        stdout=out,
    )
    text = out.getvalue()
    for name in PAGE_NAMES:
        assert f"\n{name} " in text
    assert "lowest uncached:" in text.splitlines()[-1]
    assert "errors)" not in text
