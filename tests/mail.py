"""Mail in tests. The broker is the edge: `mail_tasks()` keeps the mail tasks
that committed transactions enqueue, then runs each of them in this process as
a worker would (`run_mail_task`: a `Retry` is run again with one more retry).
Mail backends that fail like a mail server that is down, for `EMAIL_BACKEND`."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from smtplib import SMTPServerDisconnected
from typing import Any

from celery.exceptions import Retry
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.mail.message import EmailMessage

from librery.tasks import send_mail_task
from tests.tasks import queued_tasks


def run_mail_task(kwargs: dict[str, Any]) -> tuple[int, list[Retry]]:
    """Run one mail task as a worker would, its retries included (without their
    wait): its result, and the `Retry` raised by each failed attempt. When the
    retries are exhausted, the error of the last attempt propagates."""
    retries: list[Retry] = []
    while True:
        try:
            result = send_mail_task.apply(kwargs=kwargs, retries=len(retries), throw=True)
        except Retry as retry:
            retries.append(retry)
            continue
        return result.get(), retries


def mail_tasks(*, run: bool = True) -> AbstractContextManager[list[dict[str, Any]]]:
    """The mail tasks enqueued inside the block, run with their retries when it ends."""
    return queued_tasks(send_mail_task, run=run, runner=run_mail_task)


class DownBackend(BaseEmailBackend):
    """A mail server that is down: every attempt fails, and is counted."""

    attempts = 0

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        type(self).attempts += 1
        raise SMTPServerDisconnected("Connection unexpectedly closed")


class FlakyBackend(LocmemBackend):
    """A mail server that fails the first attempt, then delivers to `mail.outbox`."""

    attempts = 0

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        type(self).attempts += 1
        if type(self).attempts == 1:
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
