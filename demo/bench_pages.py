"""The public pages benchmark of issue 16 (`manage.py bench_pages`).

It creates a database of its own (PostgreSQL: a new database next to the
configured one; SQLite: a file in a temporary directory), migrates it and fills
it with the volume of a few years of a national fund (`--scale 1`: 10 000
contributors, 20 000 pledges, 68 000 receipts booked in the ledger over 36
months, 60 admitted projects among 300, 243 released rounds; each month
allocated by the real monthly run), then serves it with gunicorn on loopback
and measures every public page and API list, uncached and cached, against a
hello-world view and a 20-row template page served by the same settings in
the same run (`demo.bench_settings`). The database is dropped at the end.

The filling and the query counts run in a child `manage.py bench_pages
--inner` pointed at the new database, so that this process never touches it.
The client is wrk when it is installed (and `--client python` is not asked
for), else a small threaded Python client (`demo.bench_clients`); each measure
also gives the server's CPU time per request (Linux: gunicorn, PostgreSQL and
Redis together), which says what a page costs whatever the client took.

Every page is measured in rounds (`--rounds`, 3 by default): each round asks
for the two baselines and then every page, and a page's ratio is the median
over the rounds of its rate to the baseline's rate in the same round, so that
the machine's drift from one minute to the next (15 to 40 % here) moves both
alike. With `--compare-with DATABASE_URL` (another filled volume, such as
`--scale 10`), both volumes are served side by side and measured in the same
rounds, and each page's ratios at both are compared (bar: within 20 %)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allocation.models import AllocationRun
from contributors.models import Contributor, Pledge
from demo.bench_clients import Measure, Timing, client, get
from demo.bench_volume import SEARCHED, fill, period_name
from funds.benchmarks.database import new_database
from funds.models import Receipt
from funds.selectors import project_received_totals_cents
from governance.models import Ballot
from librery.pagecache import public_version_bump
from projects.enums import ProjectStatus
from projects.models import Project

BASE_DIR = Path(settings.BASE_DIR)


@dataclass(frozen=True)
class Page:
    name: str
    path: str


def pages() -> list[Page]:
    """The pages measured, in the filled database (the first two are the baselines)."""
    top = (
        Project.objects.annotate(received=project_received_totals_cents())
        .order_by("-received", "pk")
        .values_list("slug", flat=True)
        .first()
    )
    runs = AllocationRun.objects.order_by("-period_start_at")
    run = runs.values_list("period", flat=True).first()
    catalogue = reverse("projects:list")
    return [
        Page("hello-world view", "/bench/hello/"),
        Page("20-row template page", "/bench/rows/"),
        Page("home", reverse("home")),
        Page("catalogue, page 1", catalogue),
        Page("catalogue, search", f"{catalogue}?q={quote(SEARCHED)}"),
        Page("catalogue, filter", f"{catalogue}?status=admitted&tag=bench"),
        Page("catalogue, most funded", f"{catalogue}?sort=funded"),
        Page("project page", reverse("projects:detail", args=[top or "bench-0"])),
        Page("transparency", reverse("allocation:transparency")),
        Page("run page", reverse("allocation:run", args=[run or period_name(0)])),
        Page("decision register", reverse("governance:register")),
        Page("API projects", "/api/v1/projects/"),
        Page("API projects, most funded", "/api/v1/projects/?sort=funded"),
        Page("API runs", "/api/v1/allocation/runs/"),
        Page("API decisions", "/api/v1/governance/decisions/"),
    ]


def count_queries() -> list[dict[str, Any]]:
    """Each page's path, SQL queries and response size, rendered uncached here."""
    client = Client(HTTP_HOST="127.0.0.1")  # the address gunicorn serves (ALLOWED_HOSTS)
    found = []
    for page in pages():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page.path)
        found.append(
            {
                **asdict(page),
                "status": response.status_code,
                "queries": len(queries),
                "bytes": len(response.content),
            }
        )
    return found


# --- The parent: a database of its own, gunicorn, the client -----------------------


MODES = ("uncached", "cached")


@dataclass
class Row:
    name: str
    path: str
    queries: int
    size: int
    status: int
    # Each round's timing, by mode ("uncached", "cached").
    rounds: dict[str, list[Timing]] = field(default_factory=dict)

    def add_round(self, mode: str, timing: Timing) -> None:
        self.rounds.setdefault(mode, []).append(timing)

    def summary(self, mode: str) -> Timing:
        """The rounds of `mode` in one timing: median rate, p50 and CPU per
        request, worst p99, every error."""
        timings = self.rounds.get(mode) or [Timing()]
        return Timing(
            rate=median(t.rate for t in timings),
            p50_ms=median(t.p50_ms for t in timings),
            p99_ms=max(t.p99_ms for t in timings),
            errors=sum(t.errors for t in timings),
            cpu_ms=median(t.cpu_ms for t in timings),
        )

    def ratios(self, base: Row, mode: str) -> list[float]:
        """This page's rate to `base`'s, round by round."""
        mine = self.rounds.get(mode) or [Timing()]
        theirs = base.rounds.get(mode) or [Timing()]
        return [m.rate / (t.rate or 1.0) for m, t in zip(mine, theirs, strict=True)]

    def ratio(self, base: Row, mode: str) -> float:
        """The median over the rounds of this page's rate to `base`'s."""
        return median(self.ratios(base, mode))


class BenchError(Exception):
    """The benchmark cannot run; the message says why."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_url(config: dict[str, Any], name: str) -> str:  # pragma: postgresql only
    user = quote(str(config.get("USER") or ""), safe="")
    password = str(config.get("PASSWORD") or "")
    secret = f":{quote(password, safe='')}" if password else ""
    host, port = config.get("HOST") or "127.0.0.1", config.get("PORT") or 5432
    return f"postgres://{user}{secret}@{host}:{port}/{name}"


@contextmanager
def own_database() -> Iterator[str]:
    """A new, empty database of the configured vendor (dropped after the
    block); its DATABASE_URL."""
    config = settings.DATABASES["default"]
    with new_database(config, prefix="bench_pages") as name:
        if connection.vendor == "postgresql":  # pragma: postgresql only
            yield _postgres_url(config, name)
        else:  # pragma: sqlite only
            yield f"sqlite:///{name}"


def child_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="demo.bench_settings", **extra)
    return env


def server_env(url: str, index: int, *, cache_seconds: str, **extra: str) -> dict[str, str]:
    """The environment of the run's `index`-th server: its cache keyed apart from
    the other server's and from any earlier run's (they may share one Redis)."""
    prefix = f"bench-pages-{os.getpid()}-{time.monotonic_ns()}-{index}"
    return child_env(
        url, PUBLIC_PAGE_CACHE_SECONDS=cache_seconds, BENCH_CACHE_PREFIX=prefix, **extra
    )


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 -- our own manage.py, fixed arguments
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


@contextmanager
def gunicorn(env: dict[str, str], port: int, workers: int) -> Iterator[str]:
    """gunicorn (sync workers) serving the bench settings on loopback."""
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(  # noqa: S603 -- our own server, fixed arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "librery.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            deadline = time.monotonic() + 300  # a loaded machine boots slowly
            while True:
                try:
                    get(port, "/bench/hello/")
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        errors.seek(0)
                        raise BenchError(
                            f"gunicorn did not answer on port {port}: {errors.read()}"
                        ) from None
                    time.sleep(0.2)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=30)


# Each page is asked for this long, with the measure's concurrency, before it is measured.
WARM_SECONDS = 1.0


@dataclass(frozen=True)
class Options:
    scale: float
    seconds: float
    connections: int
    workers: int
    port: int
    client: str  # "auto", "wrk" or "python"
    filled: bool = False  # measure the configured database, filled before, as it is
    rounds: int = 3  # each page measured this many times, interleaved with the baselines
    compare_with: str = ""  # the DATABASE_URL of another filled volume, measured alongside


@dataclass(frozen=True)
class Measured:
    """One volume's rows (the baselines first) and what names it."""

    label: str  # "68000 receipts"
    rows: list[Row]


def run(options: Options, report: Callable[[str], None]) -> list[Measured]:
    """Build, serve, measure each volume: the configured one (or the one
    built), then the one compared with."""
    name, measure = client(options.client)
    report(f"client: {name}")
    others = [options.compare_with] if options.compare_with else []
    if options.filled:
        return _measure(options, measure, [configured_url(), *others], report)
    with own_database() as url:
        return _measure(options, measure, [url, *others], report)


def configured_url() -> str:
    """The DATABASE_URL of the configured database (`--filled`)."""
    config = settings.DATABASES["default"]
    if connection.vendor == "postgresql":  # pragma: postgresql only
        return _postgres_url(config, str(config["NAME"]))
    return f"sqlite:///{config['NAME']}"  # pragma: sqlite only


def _volume_rows(
    options: Options, url: str, *, filled: bool, report: Callable[[str], None]
) -> Measured:
    """Migrate and fill (unless `filled`) the database at `url`, count each
    page's queries there; the rows to measure."""
    began = time.monotonic()
    _manage(child_env(url), "migrate", "--noinput", "-v0")
    out = _manage(
        child_env(url, PUBLIC_PAGE_CACHE_SECONDS="0"),  # queries of a page rendered afresh
        "bench_pages",
        "--inner",
        *(["--filled"] if filled else []),
        "--scale",
        str(options.scale),
    )
    found = json.loads(out.strip().splitlines()[-1])
    failed = [f"{p['path']} ({p['status']})" for p in found["pages"] if p["status"] != 200]  # noqa: PLR2004 -- HTTP OK
    if failed:
        raise BenchError(f"These pages did not answer 200: {', '.join(failed)}")
    verb = "found" if filled else "built"
    report(f"{verb} {found['volume']} in {time.monotonic() - began:.0f} s")
    return Measured(
        f"{found['volume']['receipts']} receipts",
        [Row(p["name"], p["path"], p["queries"], p["bytes"], p["status"]) for p in found["pages"]],
    )


def _measure(
    options: Options,
    measure: Measure,
    urls: list[str],
    report: Callable[[str], None],
) -> list[Measured]:
    volumes = [
        _volume_rows(options, url, filled=options.filled or index > 0, report=report)
        for index, url in enumerate(urls)
    ]
    redis = {"REDIS_URL": os.environ["REDIS_URL"]} if os.environ.get("REDIS_URL") else {}
    ports = [options.port + index if options.port else _free_port() for index in range(len(urls))]
    for mode, seconds in zip(MODES, ("0", "300"), strict=True):
        public_version_bump()  # nothing an earlier run left in a shared cache
        with ExitStack() as servers:
            for index, (url, port) in enumerate(zip(urls, ports, strict=True)):
                env = server_env(url, index, cache_seconds=seconds, **redis)
                servers.enter_context(gunicorn(env, port, options.workers))
            for volume, port in zip(volumes, ports, strict=True):
                for row in volume.rows:
                    # One request first (what a page keeps in the shared cache is
                    # made once, not by every connection at the same time), then
                    # every worker warmed, not one: a worker's first request
                    # imports the URL configuration and compiles the templates
                    # (about 0.7 s here).
                    get(port, row.path)
                    measure(port, row.path, min(WARM_SECONDS, options.seconds), options.connections)
            # Round by round, every volume's baselines and pages one after the
            # other: a page's ratio compares it with baselines measured less than
            # a minute apart, not several.
            for _round in range(options.rounds):
                for volume, port in zip(volumes, ports, strict=True):
                    for row in volume.rows:
                        timing = measure(port, row.path, options.seconds, options.connections)
                        row.add_round(mode, timing)
    return volumes


def _spread(ratios: list[float]) -> str:
    """How far the rounds' ratios lie apart, as a share of their median."""
    middle = median(ratios)
    return f"{(max(ratios) - min(ratios)) / (middle or 1.0) * 100:.0f}%"


def table(rows: list[Row]) -> list[str]:
    """The printed table: req/s and ratios to both baselines (medians of the
    rounds' ratios), p50/p99, the server's CPU ms per request, the rounds'
    spread, queries, size."""
    hello, template = rows[0], rows[1]
    lines = [
        f"{'page':<28} {'uncached r/s':>12} {'x hello':>8} {'x rows':>7} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'cpu ms':>6}   {'cached r/s':>10} {'x hello':>8} {'x rows':>7} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'cpu ms':>6}   {'queries':>7} {'bytes':>8}   {'spread':>11}"
    ]
    for row in rows:
        parts = [f"{row.name:<28}"]
        for mode in MODES:
            timing = row.summary(mode)
            parts.append(
                f"{timing.rate:>12.1f} {row.ratio(hello, mode):>8.3f} "
                f"{row.ratio(template, mode):>7.3f} {timing.p50_ms:>7.1f} {timing.p99_ms:>7.1f} "
                f"{timing.cpu_ms:>6.2f}" + (f" ({timing.errors} errors)" if timing.errors else "")
            )
        parts.append(f"{row.queries:>7} {row.size:>8}")
        # The spread of what each bar reads: uncached x rows, cached x hello.
        uncached, cached = row.ratios(template, "uncached"), row.ratios(hello, "cached")
        parts.append(f"{_spread(uncached) + ' ' + _spread(cached):>11}")
        lines.append("   ".join(parts))
    pages_only = rows[2:]
    worst_uncached = min((r.ratio(template, "uncached"), r.name) for r in pages_only)
    worst_cached = min((r.ratio(hello, "cached"), r.name) for r in pages_only)
    rounds = len(template.rounds.get("uncached") or [None])
    lines.append(
        f"lowest uncached: {worst_uncached[0]:.3f} x the 20-row page ({worst_uncached[1]}; "
        f"bar 0.5); lowest cached: {worst_cached[0]:.3f} x hello-world ({worst_cached[1]}; "
        f"bar 0.8); median of {rounds} round{'s' if rounds > 1 else ''}"
    )
    return lines


SCALE_BAR = 0.20  # ratios at --scale 10 within 20 % of those at --scale 1


def comparison(first: list[Row], second: list[Row], labels: tuple[str, str]) -> list[str]:
    """Each page's ratios (uncached x the 20-row page, cached x hello-world) in
    both volumes, measured in the same rounds, and how far the second moved from
    the first; the bar is within 20 %."""
    lines = [
        f"{labels[1]} against {labels[0]}: each ratio's median over the rounds, and "
        f"its change (bar: within {SCALE_BAR:.0%})",
        f"{'page':<28} {'uncached x rows':>17} {'change':>8}   {'cached x hello':>16} "
        f"{'change':>8}",
    ]
    worst = (0.0, "")
    for one, other in zip(first[2:], second[2:], strict=True):
        if one.name != other.name:  # pragma: no cover -- both children list pages()
            raise BenchError(f"The volumes list different pages: {one.name}, {other.name}.")
        parts = [f"{one.name:<28}"]
        for mode, base in (("uncached", 1), ("cached", 0)):
            before, after = one.ratio(first[base], mode), other.ratio(second[base], mode)
            change = after / (before or 1.0) - 1
            worst = max(worst, (abs(change), f"{one.name}, {mode}"))
            parts.append(f"{before:>8.3f} {after:>8.3f} {change * 100:>+7.1f}%")
        lines.append("   ".join(parts))
    verdict = "PASS" if worst[0] <= SCALE_BAR else "FAIL"
    lines.append(
        f"largest change: {worst[0] * 100:.1f} % ({worst[1]}; bar {SCALE_BAR:.0%}): {verdict}"
    )
    return lines


def printed(volumes: list[Measured]) -> list[str]:
    """What the command prints: a table for each volume (named when there are
    two), then, with two, each page compared."""
    lines = []
    for volume in volumes:
        if len(volumes) > 1:
            lines.append(f"{volume.label}:")
        lines.extend(table(volume.rows))
    if len(volumes) > 1:
        labels = (volumes[0].label, volumes[1].label)
        lines.extend(comparison(volumes[0].rows, volumes[1].rows, labels))
    return lines


def inner(scale: float, report: Callable[[str], None], *, filled: bool = False) -> str:
    """The child's work: fill the database (unless `filled`: an earlier `--fill-only`
    did), count each page's queries; one JSON line."""
    size = found_volume() if filled else asdict(fill(scale=scale, report=report))
    return json.dumps({"volume": size, "pages": count_queries()})


def found_volume() -> dict[str, int]:
    """What a filled database holds, counted as `fill` reports it."""
    if not Project.objects.filter(slug__startswith="bench-").exists():
        raise BenchError(
            "This database holds no benchmark volume: fill it first with "
            "`manage.py bench_pages --fill-only --scale N` (an empty, migrated database)."
        )
    return {
        "contributors": Contributor.objects.count(),
        "pledges": Pledge.objects.count(),
        "receipts": Receipt.objects.count(),
        "admitted": Project.objects.filter(status=ProjectStatus.ADMITTED).count(),
        "projects": Project.objects.count(),
        "rounds": Ballot.objects.count(),
        "months": AllocationRun.objects.count(),
    }


def fill_only(scale: float, report: Callable[[str], None]) -> str:
    """Fill the configured database (migrated, without projects) for later `--filled` runs."""
    if Project.objects.exists():
        raise BenchError("--fill-only fills an empty, migrated database; this one has projects.")
    began = time.monotonic()
    size = fill(scale=scale, report=report)
    return f"filled {asdict(size)} in {time.monotonic() - began:.0f} s"
