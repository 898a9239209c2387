"""Thin tasks of the shared plumbing: ids in, one service call, log."""

from __future__ import annotations

import logging
from smtplib import SMTPException
from typing import Any

from celery import shared_task
from django.utils import timezone

from librery import mail, services

logger = logging.getLogger(__name__)


@shared_task(name="librery.worker_heartbeat", queue="default")
def worker_heartbeat(*, worker_name: str, **kwargs: Any) -> int:
    heartbeat = services.worker_heartbeat_record(worker_name=worker_name, at=timezone.now())
    logger.info("librery.worker.heartbeat", extra={"worker": worker_name, "beats": heartbeat.beats})
    return heartbeat.beats


@shared_task(name="librery.purge_old_heartbeats", queue="default")
def purge_old_heartbeats(**kwargs: Any) -> int:
    cutoff = services.heartbeat_cutoff(now=timezone.now())
    return services.worker_heartbeats_purge(older_than=cutoff)


# Retry n waits a random time below min(30 s x 2^n, 1 h) (backoff with jitter):
# at most about six hours in all, so a mail server down for a while loses nothing.
MAIL_MAX_RETRIES = 12


@shared_task(
    name="librery.send_mail",
    queue="default",
    acks_late=True,
    autoretry_for=(SMTPException, OSError, ConnectionError),
    retry_backoff=30,
    retry_backoff_max=60 * 60,
    retry_jitter=True,
    max_retries=MAIL_MAX_RETRIES,
)
def send_mail_task(
    *,
    template: str,
    recipient: int | str,
    context: dict[str, Any],
    links: dict[str, list[Any]],
    rendered: dict[str, str] | None = None,
    **kwargs: Any,
) -> int:
    """One mail to one recipient (so a retry resends only theirs), rendered here
    in their language; enqueued by `librery.mail.mail_enqueue` after the commit."""
    sent = mail.mail_send(
        template=template, recipient=recipient, context=context, links=links, rendered=rendered
    )
    logger.info(
        "librery.mail.sent",
        extra={
            "template": template,
            "user_id": recipient if isinstance(recipient, int) else None,
            "sent": sent,
        },
    )
    return sent
