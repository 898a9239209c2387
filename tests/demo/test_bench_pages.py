"""`manage.py bench_pages`: the volume it builds keeps the books, and a tiny run
beside a second tiny volume prints a row for every page of each and compares
them."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import asdict
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from allocation.enums import RunStatus
from allocation.models import AllocationRun
from contributors.models import Contributor
from demo import bench_pages, bench_volume
from demo.bench_clients import Timing
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


def test_the_table_gives_ratios_to_both_baselines() -> None:
    def row(name: str, uncached: float, cached: float, cpu: float) -> bench_pages.Row:
        measured = bench_pages.Row(name=name, path="/", queries=3, size=1000, status=200)
        measured.add_round("uncached", Timing(rate=uncached, p50_ms=1.0, p99_ms=2.0, cpu_ms=cpu))
        measured.add_round(
            "cached", Timing(rate=cached, p50_ms=1.0, p99_ms=2.0, errors=1, cpu_ms=1.0)
        )
        return measured

    lines = bench_pages.table(
        [row("hello", 1000, 1000, 0.5), row("rows", 200, 800, 2.0), row("page", 50, 900, 5.0)]
    )
    assert len(lines) == 5
    # rate, x hello, x rows, p50, p99, the server's CPU ms per request
    assert lines[3].split()[:7] == ["page", "50.0", "0.050", "0.250", "1.0", "2.0", "5.00"]
    assert "(1 errors)" in lines[3]
    assert lines[3].split()[-2:] == ["0%", "0%"]  # one round: no spread
    assert lines[-1] == (
        "lowest uncached: 0.250 x the 20-row page (page; bar 0.5); "
        "lowest cached: 0.900 x hello-world (page; bar 0.8); median of 1 round"
    )


def _rounds(
    name: str, uncached: list[float], cached: list[float], cpu: list[float] | None = None
) -> bench_pages.Row:
    row = bench_pages.Row(name=name, path="/", queries=3, size=1000, status=200)
    for rate, cpu_ms in zip(uncached, cpu or [0.0] * len(uncached), strict=True):
        row.add_round(
            "uncached",
            Timing(rate=rate, p50_ms=rate / 100, p99_ms=rate, cpu_ms=cpu_ms),
        )
    for rate in cached:
        row.add_round("cached", Timing(rate=rate, p50_ms=1.0, p99_ms=2.0))
    return row


def test_a_ratio_is_the_median_of_the_rounds_ratios() -> None:
    """The machine slows down by half in the second round and speeds up in the
    third: each round's ratio compares a page with the baselines of the same
    round, so the drift moves neither the ratios nor the bars' verdicts."""
    hello = _rounds("hello", [1000, 500, 1200], [1000, 500, 1200])
    rows = _rounds("rows", [200, 100, 240], [800, 400, 960])
    # x rows: 0.25, 0.25, 0.30; the server's CPU per request 8, 7 and 10 ms
    page = _rounds("page", [50, 25, 72], [900, 450, 1080], [8.0, 7.0, 10.0])
    assert page.ratios(rows, "uncached") == [0.25, 0.25, 0.3]
    assert page.ratio(rows, "uncached") == 0.25
    assert page.ratio(hello, "cached") == 0.9
    # The row's own figures: median rate, p50 and CPU per request, worst p99.
    assert page.summary("uncached") == Timing(rate=50, p50_ms=0.5, p99_ms=72, cpu_ms=8.0)
    lines = bench_pages.table([hello, rows, page])
    assert lines[3].split()[:5] == ["page", "50.0", "0.050", "0.250", "0.5"]
    assert lines[3].split()[-2:] == ["20%", "0%"]  # (0.30 - 0.25) / 0.25; cached steady
    assert lines[-1].endswith("; median of 3 rounds")
    # Taken once at the start and once at the end, as before rounds, the same
    # figures would give 50 / 240 = 0.208 or 72 / 200 = 0.36.


def test_two_volumes_are_compared_page_by_page() -> None:
    def volume(page_uncached: float, page_cached: float) -> list[bench_pages.Row]:
        return [
            _rounds("hello", [1000, 900], [1000, 900]),
            _rounds("rows", [200, 180], [800, 720]),
            _rounds("home", [100, 90], [950, 855]),  # 0.5 x rows, 0.95 x hello
            _rounds("page", [page_uncached, page_uncached * 0.9], [page_cached, page_cached * 0.9]),
        ]

    labels = ("68000 receipts", "680000 receipts")
    steady = bench_pages.comparison(volume(50, 900), volume(55, 810), labels)
    assert steady[0].startswith("680000 receipts against 68000 receipts:")
    assert steady[2].split() == ["home", "0.500", "0.500", "+0.0%", "0.950", "0.950", "+0.0%"]
    assert steady[3].split() == ["page", "0.250", "0.275", "+10.0%", "0.900", "0.810", "-10.0%"]
    assert steady[-1] == "largest change: 10.0 % (page, uncached; bar 20%): PASS"
    slower = bench_pages.comparison(volume(50, 900), volume(34, 900), labels)
    assert slower[3].split()[3] == "-32.0%"
    assert slower[-1] == "largest change: 32.0 % (page, uncached; bar 20%): FAIL"


def test_bad_options_are_refused() -> None:
    with pytest.raises(CommandError, match="must be positive"):
        call_command("bench_pages", scale=0)
    with pytest.raises(CommandError, match="--rounds at least 1"):
        call_command("bench_pages", rounds=0)


@pytest.mark.integration
def test_a_tiny_volume_is_compared_with_another() -> None:
    """The whole command (its own database, gunicorn, the Python client) with
    `--compare-with`: a second filled volume served beside the first and
    measured in the same rounds, a table for each, then every page compared."""
    with bench_pages.own_database() as other:
        env = bench_pages.child_env(other)
        bench_pages._manage(env, "migrate", "--noinput", "-v0")
        bench_pages._manage(env, "bench_pages", "--fill-only", "--scale", str(TINY))
        out = StringIO()
        call_command(
            "bench_pages",
            scale=TINY,
            seconds=0.1,  # short and one connection: the suite's other worker
            rounds=2,  # runs browser tests meanwhile, on a machine of 2 cores
            connections=1,
            workers=1,
            client="python",
            compare_with=other,
            stdout=out,
        )
    lines = out.getvalue().splitlines()
    first = lines.index("60 receipts:")
    second = lines.index("60 receipts:", first + 1)
    compared = next(i for i, line in enumerate(lines) if " against " in line)
    assert first < second < compared
    assert lines[compared].startswith("60 receipts against 60 receipts:")
    for table in (lines[first:second], lines[second:compared]):
        for name in PAGE_NAMES:
            assert any(line.startswith(f"{name} ") for line in table)
        assert table[-1].startswith("lowest uncached:")
    for name in PAGE_NAMES[2:]:
        assert any(line.startswith(f"{name} ") for line in lines[compared:])
    assert re.fullmatch(r"largest change: \d+\.\d % \(.+; bar 20%\): (PASS|FAIL)", lines[-1])
    assert "median of 2 rounds" in lines[second - 1]
    assert "errors)" not in out.getvalue()


def test_each_server_keys_its_cache_apart() -> None:
    """Two volumes served at once share one Redis and the same paths: each server
    gets a cache prefix of its own, which the bench settings apply."""
    first = bench_pages.server_env("postgres://u@127.0.0.1:5432/a", 0, cache_seconds="300")
    second = bench_pages.server_env("postgres://u@127.0.0.1:5432/b", 1, cache_seconds="300")
    again = bench_pages.server_env("postgres://u@127.0.0.1:5432/a", 0, cache_seconds="300")
    prefixes = {env["BENCH_CACHE_PREFIX"] for env in (first, second, again)}
    assert len(prefixes) == 3  # apart from each other and from an earlier run's
    assert first["PUBLIC_PAGE_CACHE_SECONDS"] == "300"
    assert first["DATABASE_URL"] == "postgres://u@127.0.0.1:5432/a"
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CACHES['default']['KEY_PREFIX'])",
        ],
        env={**first, "PYTHONPATH": str(settings.BASE_DIR)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == first["BENCH_CACHE_PREFIX"]
