"""Which real services this run has, and what to do when one is missing:
skip with a clear reason on a newcomer's machine, fail in CI
(LIBRERY_REQUIRE_SERVICES=1, set by .ci/run)."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

REQUIRE_SERVICES = os.environ.get("LIBRERY_REQUIRE_SERVICES") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip (or, in CI, fail) the calling test when `condition` is false."""
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing (LIBRERY_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if Path(configured).exists() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def redis_reachable() -> bool:
    url = settings.REDIS_URL
    if not url:
        return False
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 1):
            return True
    except OSError:
        return False


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def gettext_available() -> bool:
    return shutil.which("xgettext") is not None and shutil.which("msgmerge") is not None
