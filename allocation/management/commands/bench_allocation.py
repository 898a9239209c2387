"""The allocation benchmark of quality.md ("Speed"): `manage.py bench_allocation
[--sizes 100000,1000000]`, PostgreSQL only.

For each size it builds that many receipts in a month of their own with COPY
(10 000 admitted projects, a few thousand contributors and pledges, a succeeded
payment, a receipt journal with its three legs and 0 to 3 earmark lines per
receipt, a released round in force), then prints:

- the baseline: one `SELECT project_id, SUM(net x share_bp) ... GROUP BY
  project_id` over the same receipts, best of 3;
- the run's database phase (the SQL of `take_receipts`, which takes the
  receipts and sums them, timed by a hook around the database cursor) and the
  whole `allocation_run_execute` (books checks, ledger, destinations, the
  document's sha256 over every receipt), each as a ratio to the baseline; what
  a worker pays once and not at each run (the URL configuration's import, the
  cache's connection) is paid before the timed run;
- the run's peak Python memory (tracemalloc) and max RSS growth: the timed run
  is rolled back to a savepoint and the month run again, kept, under tracing
  (which would slow the timed run);
- where the run's time goes, each as a ratio to the baseline: the write the
  issue asks for alone (one `RunReceipt` row per receipt, `INSERT ... SELECT`
  of the month's receipt ids into a copy of its table with its key and
  indexes, best of 3) and the document's sha256 inside the whole run. The
  baseline plus that write is a floor under the database phase, which sums
  what the baseline sums and writes those rows: it is printed beside the bars.

Everything happens in one transaction that is rolled back at the end: the
database is left as it was found (sequences aside, which PostgreSQL never rolls
back). What a commit would check (the ledger's deferred balance triggers) is
made to run inside the timed run with SET CONSTRAINTS ALL IMMEDIATE. The built tables are analysed
before the baseline; parallel workers and JIT are off for the baseline and the
run alike.
"""

from __future__ import annotations

import random
import resource
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from unittest import mock

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from allocation.bench_volume import (
    CONTRIBUTORS,
    PLEDGES,
    ROUND_PROJECTS,
    build_catalogue,
    copy_month,
    draw_month,
)
from allocation.documents import document_sha256
from allocation.models import AllocationRun, RunReceipt
from allocation.services import (
    allocation_run_claim,
    allocation_run_execute,
    period_bounds,
    progress_key,
    receipts_due,
)
from allocation.services import runs as run_services
from allocation.services.sums import take_receipts
from librery.publication import public_path

PROJECTS = 10_000
FIRST_MONTH = (2001, 1)
BARS = (1.5, 3.0, 1.5)  # database phase, whole run (x baseline); memory (x first size)
F = TypeVar("F", bound=Callable[..., Any])


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise CommandError(
            f"--sizes takes whole numbers such as 10000,100000, not {text!r}."
        ) from None
    if min(sizes) < 1:
        raise CommandError("--sizes takes positive numbers of receipts.")
    return sizes


def _period(index: int) -> str:  # pragma: postgresql only
    year, month = FIRST_MONTH[0] + index // 12, FIRST_MONTH[1] + index % 12
    return f"{year:04d}-{month:02d}"


class DatabasePhase:  # pragma: postgresql only
    """A cursor hook that adds up the time of the SQL run inside the wrapped
    function (`take_receipts`), Python aside."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.active = False

    def __call__(self, execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        if not self.active:
            return execute(sql, *args)
        started = time.perf_counter()
        try:
            return execute(sql, *args)
        finally:
            self.seconds += time.perf_counter() - started

    def wrap(self, function: F) -> F:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.active = True
            try:
                return function(*args, **kwargs)
            finally:
                self.active = False

        return timed  # type: ignore[return-value]


BASELINE = (
    "SELECT e.project_id, SUM(r.net_cents * e.share_bp) FROM funds_receipt r "
    "JOIN funds_receiptearmark e ON e.receipt_id = r.id "
    "WHERE r.received_at >= %s AND r.received_at < %s GROUP BY e.project_id"
)


def _settle_deferred_checks() -> None:  # pragma: postgresql only
    """Run now the deferred checks queued by the built rows (the ledger's
    balance triggers and foreign keys), so that the timed run's own, made to
    run before its rollback, are all it pays for."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _baseline(start: datetime, end: datetime) -> float:  # pragma: postgresql only
    best = float("inf")
    with connection.cursor() as cursor:
        for _ in range(3):
            started = time.perf_counter()
            cursor.execute(BASELINE, [start, end])
            cursor.fetchall()
            best = min(best, time.perf_counter() - started)
    return best


_TAKEN = RunReceipt._meta.db_table  # noqa: SLF001 -- Django's documented Options API
FLOOR_TABLE = "bench_allocation_floor"
FLOOR = (
    f"INSERT INTO {FLOOR_TABLE} (run_id, receipt_id) SELECT 0, r.id FROM funds_receipt r "  # noqa: S608 -- our own table names
    "WHERE r.received_at >= %s AND r.received_at < %s"
)


def _write_floor(start: datetime, end: datetime) -> tuple[float, int]:  # pragma: postgresql only
    """The write the issue asks for, alone: one row per receipt of the month into
    a fresh copy of `RunReceipt`'s table (its columns, key and indexes; a logged
    table, as the real one), best of 3, each in a savepoint rolled back. Returns
    the time and the rows written."""
    best, written = float("inf"), 0
    for _ in range(3):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {FLOOR_TABLE} (LIKE {_TAKEN} INCLUDING ALL)")
            started = time.perf_counter()
            cursor.execute(FLOOR, [start, end])
            best = min(best, time.perf_counter() - started)
            written = cursor.rowcount
            transaction.set_rollback(True)
    return best, written


@dataclass(frozen=True)
class Figures:
    size: int
    taken: int
    baseline: float
    database: float
    whole: float
    peak_bytes: int
    rss_kib: int
    write: float  # the write the issue asks for, alone
    document: float  # the document's sha256, inside the whole run


def _warm_up() -> None:  # pragma: postgresql only
    """What a worker pays once, not at each run: the URL configuration's import
    (the run publishes its document's path) and the cache's connection."""
    public_path("allocation:run_json", _period(0))
    cache.get(progress_key(0))


class Stopwatch:  # pragma: postgresql only
    """The wall time spent inside the wrapped function (`document_sha256`)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, function: F) -> F:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed  # type: ignore[return-value]


def _timed_run(period: str, at: datetime) -> tuple[float, float, float]:  # pragma: postgresql only
    """The database phase, the whole run and the document's sha256 in it, in a
    savepoint rolled back after."""
    _warm_up()
    phase = DatabasePhase()
    document = Stopwatch()
    with (
        transaction.atomic(),
        connection.execute_wrapper(phase),
        mock.patch.object(run_services, "take_receipts", phase.wrap(take_receipts)),
        mock.patch.object(run_services, "document_sha256", document.wrap(document_sha256)),
    ):
        run = allocation_run_claim(period=period, at=at)
        started = time.perf_counter()
        allocation_run_execute(run=run, at=at)
        with connection.cursor() as cursor:
            # What a commit would check (the ledger's deferred balance
            # triggers), here, timed, before the rollback.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        whole = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cache.delete(progress_key(run.pk))
        transaction.set_rollback(True)
    return phase.seconds, whole, document.seconds


def _traced_run(period: str, at: datetime) -> tuple[int, int, int]:  # pragma: postgresql only
    """The same run again, kept, under tracemalloc: the receipts it took, its
    peak and its max RSS growth."""
    run = allocation_run_claim(period=period, at=at)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    try:
        done = allocation_run_execute(run=run, at=at)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    cache.delete(progress_key(run.pk))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    return done.receipts_count, peak, rss


def _mib(size: int) -> str:  # pragma: postgresql only
    return f"{size / 2**20:.1f} MiB"


NEEDS_POSTGRESQL = "bench_allocation needs PostgreSQL (its figures mean nothing on SQLite)."


class Command(BaseCommand):
    help = (
        "Benchmark the monthly allocation (PostgreSQL only): for each size, build that many "
        "receipts in a month of their own with COPY over 10 000 admitted projects, then print "
        "the run's database phase and whole run as ratios to a plain GROUP BY over the same "
        "receipts, and its peak memory. Everything is built and run inside one transaction "
        "that is rolled back at the end: the database is left as it was found."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sizes",
            default="100000,1000000",
            help="receipts per run, comma-separated (default: 100000,1000000)",
        )
        parser.add_argument(
            "--projects",
            type=int,
            default=PROJECTS,
            help=f"admitted projects (default: {PROJECTS})",
        )
        parser.add_argument("--seed", type=int, default=10, help="random seed (default: 10)")

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = _sizes(options["sizes"])
        if connection.vendor != "postgresql":  # pragma: no branch -- one way per vendor
            raise CommandError(NEEDS_POSTGRESQL)  # pragma: sqlite only
        rng = random.Random(options["seed"])  # noqa: S311 # pragma: postgresql only -- data, not secrets
        started = time.perf_counter()  # pragma: postgresql only
        figures = self._bench(sizes, options["projects"], rng)  # pragma: postgresql only
        self._report(figures, time.perf_counter() - started)  # pragma: postgresql only

    def _bench(  # pragma: postgresql only
        self, sizes: list[int], projects: int, rng: random.Random
    ) -> list[Figures]:
        at = timezone.now()
        figures = []
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
                cursor.execute("SET LOCAL jit = off")
            first_start = period_bounds(_period(0))[0]
            if (
                receipts_due(period_end_at=first_start).exists()
                or AllocationRun.objects.filter(
                    period__in=[_period(i) for i in range(len(sizes))]
                ).exists()
            ):
                raise CommandError(  # pragma: no cover -- a database holding other receipts
                    f"This database has receipts not yet allocated before {_period(0)}, or runs "
                    "in the benchmark's months: use a database of its own."
                )
            built = time.perf_counter()
            catalogue = build_catalogue(rng, at, projects)
            self.stdout.write(
                f"catalogue: {projects} admitted projects, {CONTRIBUTORS} contributors, "
                f"{PLEDGES} pledges, a round over {min(projects, ROUND_PROJECTS)} projects "
                f"({time.perf_counter() - built:.1f} s)"
            )
            for index, size in enumerate(sizes):
                period = _period(index)
                start, end = period_bounds(period)
                built = time.perf_counter()
                month = draw_month(rng, catalogue, start, end, size)
                lines = copy_month(month, catalogue)
                del month
                _settle_deferred_checks()
                self.stdout.write(
                    f"{period}: {size} receipts, {lines} earmark lines built with COPY "
                    f"({time.perf_counter() - built:.1f} s)"
                )
                baseline = _baseline(start, end)
                database, whole, document = _timed_run(period, at)
                taken, peak, rss = _traced_run(period, at)
                write, written = _write_floor(start, end)
                if written != taken:  # pragma: no cover -- the month's receipts are all due
                    raise CommandError(f"The floor wrote {written} rows, the run took {taken}.")
                figures.append(
                    Figures(size, taken, baseline, database, whole, peak, rss, write, document)
                )
                self._line(figures[-1])
            transaction.set_rollback(True)
        return figures

    def _line(self, f: Figures) -> None:  # pragma: postgresql only
        self.stdout.write(
            f"  run took {f.taken} receipts: baseline {f.baseline * 1000:.0f} ms (best of 3); "
            f"database phase {f.database * 1000:.0f} ms = {f.database / f.baseline:.2f} x; "
            f"whole run {f.whole * 1000:.0f} ms = {f.whole / f.baseline:.2f} x; "
            f"peak memory {_mib(f.peak_bytes)} (tracemalloc), max RSS +{f.rss_kib / 1024:.1f} MiB"
        )
        self.stdout.write(
            f"  alone: the write of one RunReceipt row per receipt (best of 3) "
            f"{f.write * 1000:.0f} ms = {f.write / f.baseline:.2f} x; "
            f"in the whole run: the document's sha256 {f.document * 1000:.0f} ms = "
            f"{f.document / f.baseline:.2f} x"
        )

    def _report(self, figures: list[Figures], seconds: float) -> None:  # pragma: postgresql only
        database = max(f.database / f.baseline for f in figures)
        whole = max(f.whole / f.baseline for f in figures)
        memory = figures[-1].peak_bytes / figures[0].peak_bytes
        checks = (
            (f"database phase {database:.2f} x <= {BARS[0]} x", database <= BARS[0]),
            (f"whole run {whole:.2f} x <= {BARS[1]} x", whole <= BARS[1]),
            (
                f"memory at {figures[-1].size} {memory:.2f} x that at {figures[0].size} "
                f"<= {BARS[2]} x",
                memory <= BARS[2],
            ),
        )
        floor = max((f.baseline + f.write) / f.baseline for f in figures)
        self.stdout.write(f"rolled back; wall time {seconds:.1f} s")
        self.stdout.write(
            f"floor of the database phase (the baseline's sums, then the rows it must "
            f"write, each alone): {floor:.2f} x"
        )
        self.stdout.write(
            "bars: " + "; ".join(f"{text} {'PASS' if ok else 'FAIL'}" for text, ok in checks)
        )
