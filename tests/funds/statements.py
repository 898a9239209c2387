"""Bank statements in tests: a real statement rewritten to the fund's account,
and the statement tasks that uploads enqueue, run here as a worker would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.conf import settings

from funds.tasks import import_statement

_ACCOUNT_IBAN = re.compile(rb"(<Stmt>.*?<Acct>\s*<Id>\s*<IBAN>)[^<]*(</IBAN>)", re.DOTALL)


def for_fund(content: bytes, iban: str | None = None) -> bytes:
    """`content` with each statement's account IBAN replaced by the fund's (or `iban`)."""
    target = (iban or settings.FUND_IBAN).encode()
    rewritten, count = _ACCOUNT_IBAN.subn(lambda m: m.group(1) + target + m.group(2), content)
    assert count >= 1
    return rewritten


@contextmanager
def statement_tasks(*, run: bool = True) -> Iterator[list[dict[str, Any]]]:
    """The keyword arguments of each statement task enqueued inside the block;
    when the block ends they are run (unless `run` is false). Put it outside
    `django_capture_on_commit_callbacks(execute=True)`, whose callbacks enqueue."""
    queued: list[dict[str, Any]] = []

    def enqueue(args: Any = None, kwargs: dict[str, Any] | None = None, **options: Any) -> None:
        queued.append(dict(kwargs or {}))

    with mock.patch.object(import_statement, "apply_async", enqueue):
        yield queued
    if run:
        for kwargs in queued:
            import_statement.apply(kwargs=kwargs, throw=True)
