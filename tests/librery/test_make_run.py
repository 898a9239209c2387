"""`make run` serves the demo where HOST and PORT say, and the emails it prints
link there: SITE_URL follows them unless it is set."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.unit]

ROOT = Path(__file__).resolve().parents[2]


def _dry_run(*arguments: str, **env: str) -> list[str]:
    """The commands `make run` would run (make -n runs none of them)."""
    make = shutil.which("make")
    if make is None:  # the README's two commands need it; CI installs it
        pytest.skip("GNU make is not installed")
    environment = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "HOST", "PORT"}}
    result = subprocess.run(
        [make, "--no-print-directory", "-n", "run", *arguments],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    return [line for line in lines if "load_demo" in line or "gunicorn" in line]


def test_the_demo_s_emails_link_to_the_port_it_serves() -> None:
    lines = _dry_run("PORT=8772")
    assert len(lines) == 2
    for line in lines:
        assert "SITE_URL='http://127.0.0.1:8772'" in line
    assert "--bind 127.0.0.1:8772" in lines[1]


def test_a_site_url_given_is_kept() -> None:
    lines = _dry_run(SITE_URL="https://fund.example.org")
    assert len(lines) == 2
    for line in lines:
        assert "SITE_URL='https://fund.example.org'" in line
    assert "--bind 127.0.0.1:8000" in lines[1]
