"""governance: thin periodic tasks."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.utils import timezone

from governance import services

logger = logging.getLogger(__name__)


@shared_task(name="governance.ballot_reminders", queue="default")
def ballot_reminders(**kwargs: Any) -> int:
    """Remind the electorate a day before a ballot closes (once per ballot)."""
    sent = services.ballot_reminders_send(now=timezone.now())
    logger.info("governance.ballot.reminders", extra={"ballots": sent})
    return sent


@shared_task(name="governance.ballots_close_due", queue="default")
def ballots_close_due(**kwargs: Any) -> int:
    """Close the ballots whose closing time has passed (results wait for release)."""
    closed = services.ballots_close_due(now=timezone.now())
    logger.info("governance.ballot.closed_due", extra={"ballots": closed})
    return closed


@shared_task(name="governance.ballots_open_due", queue="default")
def ballots_open_due(**kwargs: Any) -> int:
    """Open the draft ballots whose scheduled opening time has come."""
    opened = services.ballots_open_due(now=timezone.now())
    logger.info("governance.ballot.opened_due", extra={"ballots": opened})
    return opened
