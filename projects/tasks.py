"""projects: thin tasks."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from projects import services

logger = logging.getLogger(__name__)


@shared_task(name="projects.manifest_fetch_run", queue="default")
def manifest_fetch_run_task(*, fetch_id: int, **kwargs: Any) -> str:
    """Fetch a manifest a page asked for, and import it or verify a claim with it."""
    fetch = services.manifest_fetch_run(
        fetch_id=fetch_id,
        now=timezone.now(),
        allow_loopback=bool(getattr(settings, "LIBRERY_FETCH_ALLOW_LOOPBACK", False)),
    )
    logger.info("projects.manifest_fetch.run", extra={"fetch": fetch.pk, "status": fetch.status})
    return str(fetch.status)
