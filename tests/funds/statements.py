"""Bank statements in tests: a real statement rewritten to the fund's account,
and the statement tasks that uploads enqueue, run here as a worker would."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from typing import Any

from django.conf import settings

from funds.tasks import import_statement
from tests.tasks import queued_tasks

_ACCOUNT_IBAN = re.compile(rb"(<Stmt>.*?<Acct>\s*<Id>\s*<IBAN>)[^<]*(</IBAN>)", re.DOTALL)


def for_fund(content: bytes, iban: str | None = None) -> bytes:
    """`content` with each statement's account IBAN replaced by the fund's (or `iban`)."""
    target = (iban or settings.FUND_IBAN).encode()
    rewritten, count = _ACCOUNT_IBAN.subn(lambda m: m.group(1) + target + m.group(2), content)
    assert count >= 1
    return rewritten


def statement_tasks(*, run: bool = True) -> AbstractContextManager[list[dict[str, Any]]]:
    """The statement tasks that uploads enqueue, run when the block ends."""
    return queued_tasks(import_statement, run=run)
