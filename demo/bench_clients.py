"""The clients `manage.py bench_pages` measures a page with (wrk when it is
installed, else a small threaded Python client), and what a measure gives:
requests per second, p50 and p99, and the server's CPU time per request.

The CPU time is the machine's busy time while the client runs (user, nice,
system, irq and softirq in /proc/stat: gunicorn, PostgreSQL and Redis alike),
less the client's own (wrk's, or this process's threads'), divided by the
requests answered: what a page costs the server, whatever share of the
machine the client took. It is 0 where /proc/stat is absent (not Linux).
Ratios read from it follow the rates' within 2 % on this machine, and vary
from round to round as much: the rounds' differences are in what a request
costs, not in CPU time taken by other guests (steal time, counted apart)."""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path

PROC_STAT = Path("/proc/stat")


@dataclass
class Timing:
    rate: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    cpu_ms: float = 0.0  # the server's CPU time per request (0: not measured)


def busy_seconds(stat: str) -> float:
    """The CPU time the whole machine spent busy since it booted, from the
    text of /proc/stat: user, nice, system, irq and softirq of its first line
    (idle, iowait and the time stolen by other guests are not work done here;
    guest time is already inside user)."""
    fields = stat.split("\n", 1)[0].split()
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def _rusage_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


class ServerCpu:
    """The busy time of the machine and of the client around one measure."""

    def __init__(self, client: int) -> None:
        self.client = client  # resource.RUSAGE_CHILDREN (wrk) or RUSAGE_SELF (threads)
        self.seconds = 0.0

    @contextmanager
    def measure(self) -> Iterator[ServerCpu]:
        if not PROC_STAT.exists():  # pragma: no cover -- every CI machine is Linux
            yield self
            return
        busy, mine = busy_seconds(PROC_STAT.read_text()), _rusage_seconds(self.client)
        yield self
        spent = busy_seconds(PROC_STAT.read_text()) - busy
        self.seconds = max(0.0, spent - (_rusage_seconds(self.client) - mine))


def per_request_ms(seconds: float, requests: int) -> float:
    """CPU `seconds` shared over `requests`, in milliseconds (0 without requests)."""
    return seconds * 1000 / requests if requests else 0.0


def get(port: int, path: str) -> int:
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Accept": "text/html,application/json"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def python_client(port: int, path: str, seconds: float, connections: int) -> Timing:
    """`connections` threads asking for `path` for `seconds`: req/s, p50, p99."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def work() -> None:
        mine, bad = [], 0
        while time.monotonic() < stop:
            began = time.perf_counter()
            try:
                ok = get(port, path) == 200  # noqa: PLR2004 -- HTTP OK
            except OSError:
                ok = False
            mine.append(time.perf_counter() - began)
            bad += not ok
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    with ServerCpu(resource.RUSAGE_SELF).measure() as cpu:
        began = time.perf_counter()
        threads = [threading.Thread(target=work) for _ in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    return Timing(
        rate=len(latencies) / elapsed,
        p50_ms=_percentile(latencies, 0.5) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        errors=errors[0],
        cpu_ms=per_request_ms(cpu.seconds, len(latencies)),
    )


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_timing(text: str, cpu_seconds: float = 0.0) -> Timing:
    """Requests per second, p50 and p99 from wrk's `--latency` report, and the
    CPU per request given the server's CPU time over the run."""

    def latency(label: str) -> float:
        found = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
        return float(found.group(1)) * _WRK_UNITS[found.group(2)] if found else 0.0

    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    requests = re.search(r"^\s*(\d+) requests in ", text, re.MULTILINE)
    return Timing(
        rate=float(rate.group(1)) if rate else 0.0,
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        errors=int(errors.group(1)) if errors else 0,
        cpu_ms=per_request_ms(cpu_seconds, int(requests.group(1)) if requests else 0),
    )


def wrk_client(port: int, path: str, seconds: float, connections: int) -> Timing:
    """wrk (when installed) asking for `path` for `seconds`."""
    with ServerCpu(resource.RUSAGE_CHILDREN).measure() as cpu:
        done = subprocess.run(  # noqa: S603 -- wrk, fixed arguments
            [
                shutil.which("wrk") or "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--latency",
                "-H",
                "Accept: text/html,application/json",
                f"http://127.0.0.1:{port}{path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    return wrk_timing(done.stdout, cpu.seconds)


Measure = Callable[[int, str, float, int], Timing]


def client(choice: str) -> tuple[str, Measure]:
    """The client asked for ("auto", "wrk" or "python"), and its name."""
    if choice == "wrk" or (choice == "auto" and shutil.which("wrk")):
        return "wrk", wrk_client
    return "python threads", python_client
