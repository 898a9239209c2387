"""The clients of `manage.py bench_pages`: wrk's report read, and the server's
CPU time per request taken from the machine's busy time less the client's."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo import bench_clients
from demo.bench_clients import Timing

# A process that keeps one CPU busy for about 0.4 s of CPU time.
BURN = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end:\n    pass\n"

linux_only = pytest.mark.skipif(
    not bench_clients.PROC_STAT.exists(), reason="the busy time is read in /proc/stat (Linux)"
)


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
    # 2.468 s of the server's CPU over 1 234 requests: 2 ms each.
    timing = bench_clients.wrk_timing(report, cpu_seconds=2.468)
    assert timing.cpu_ms == pytest.approx(2.0)
    assert timing == Timing(rate=617.25, p50_ms=2.5, p99_ms=1200.0, errors=3, cpu_ms=timing.cpu_ms)
    assert bench_clients.wrk_timing(report).cpu_ms == 0.0  # no CPU time given
    assert bench_clients.wrk_timing("") == Timing()


def test_the_busy_time_leaves_out_idle_iowait_and_steal() -> None:
    ticks = os.sysconf("SC_CLK_TCK")
    # user nice system idle iowait irq softirq steal guest guest_nice
    stat = f"cpu  {ticks * 3} {ticks} {ticks * 2} 99999 777 {ticks} {ticks} 5555 0 0\ncpu0 1 2 3\n"
    assert bench_clients.busy_seconds(stat) == 8.0  # 3 + 1 + 2 + 1 + 1


@linux_only
def test_a_busy_server_is_counted_and_the_client_is_not() -> None:
    """A process that is not the client (here: not waited for) counts as the
    server; the client's own CPU (a child waited for, like wrk) is taken off."""

    def busy_now() -> float:
        return bench_clients.busy_seconds(bench_clients.PROC_STAT.read_text())

    with bench_clients.ServerCpu(resource.RUSAGE_CHILDREN).measure() as cpu:
        server = subprocess.Popen([sys.executable, "-c", BURN])
        # Wait for its end without reaping it (poll() would reap it, and a
        # reaped child's time is the client's): WNOWAIT leaves it a zombie.
        os.waitid(os.P_PID, server.pid, os.WEXITED | os.WNOWAIT)
    server.wait()
    assert cpu.seconds >= 0.3

    machine = busy_now()
    with bench_clients.ServerCpu(resource.RUSAGE_CHILDREN).measure() as cpu:
        subprocess.run([sys.executable, "-c", BURN], check=True)
    machine = busy_now() - machine
    # Whatever else the machine did meanwhile, the client's 0.4 s is not in it.
    assert cpu.seconds <= machine - 0.3
    assert bench_clients.per_request_ms(cpu.seconds, 0) == 0.0


@pytest.fixture
def static_server(tmp_path: Path) -> Iterator[int]:
    (tmp_path / "page.html").write_text("<p>" + "x" * 5000 + "</p>")
    port = 0
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "--bind", "127.0.0.1", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N ..."
        port = int(line.split(" port ")[1].split()[0])
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()


@linux_only
def test_the_python_client_gives_rates_and_the_servers_cpu(static_server: int) -> None:
    timing = bench_clients.python_client(static_server, "/page.html", 0.5, 2)
    assert timing.errors == 0
    assert timing.rate > 10
    assert 0 < timing.p50_ms <= timing.p99_ms
    # http.server answers in well under 100 ms of CPU; it takes some.
    assert 0 < timing.cpu_ms < 100
    missing = bench_clients.python_client(static_server, "/absent", 0.2, 1)
    assert missing.errors > 0


def test_the_client_asked_for_is_chosen() -> None:
    assert bench_clients.client("python") == ("python threads", bench_clients.python_client)
    name, _measure = bench_clients.client("wrk")
    assert name == "wrk"
