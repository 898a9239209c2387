from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "librery.settings.base",
    "SECRET_KEY": "k3y-for-the-deploy-check-7fa9c1e0b2d84e6f9a1c3b5d7e9f1a3c5e7g9i1k",
    "ALLOWED_HOSTS": "librery.example.org",
    "SITE_URL": "https://librery.example.org",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_PRELOAD": "True",
    "SECURE_SSL_REDIRECT": "True",
    "BEHIND_TLS_PROXY": "True",
}


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Only what a production host would have: nothing leaks in from other tests.
    clean = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", tempfile.gettempdir()),
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_production_values() -> None:
    result = _check_deploy(PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_refuses_the_embedded_default_key_and_missing_https() -> None:
    env = {
        k: v for k, v in PRODUCTION_ENV.items() if k not in {"SECRET_KEY", "SECURE_HSTS_SECONDS"}
    }
    result = _check_deploy(env)
    assert result.returncode != 0
    assert "security.W009" in result.stderr  # the well-known embedded-default key
    assert "security.W004" in result.stderr  # no HSTS
