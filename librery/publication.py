"""The publication log's format: what an entry's hash covers and how it is
written, shared by its writes (services) and its pages (selectors). verify.py
recomputes the same hashes on its own."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from librery.models import PublicationEntry

GENESIS_HASH = "0" * 64


def published_at_text(at: datetime) -> str:
    """An entry's time as it is hashed and published: UTC, microseconds, ``Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def publication_fields(entry: PublicationEntry) -> dict[str, Any]:
    """What an entry's hash covers, as /transparency/log.json publishes it."""
    return {
        "position": entry.position,
        "kind": entry.kind,
        "reference": entry.reference,
        "url": entry.url,
        "sha256": entry.sha256,
        "previous_hash": entry.previous_hash,
        "published_at": published_at_text(entry.published_at),
    }


def publication_entry_hash(fields: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of `fields`."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def public_path(url_name: str, *args: Any) -> str:
    """A public page's address without a language prefix (the same for every
    reader), as the log records it: ``public_path("allocation:run_json", "2026-03")``."""
    with translation.override(settings.LANGUAGE_CODE):
        return reverse(url_name, args=args)


@dataclass(frozen=True)
class VerifyScript:
    """verify.py, the repository's own checker, as the site serves it."""

    content: bytes
    sha256: str


@cache
def verify_script() -> VerifyScript:
    """Read once: the file cannot change while the process runs."""
    content = (Path(settings.BASE_DIR) / "verify.py").read_bytes()
    return VerifyScript(content=content, sha256=hashlib.sha256(content).hexdigest())
