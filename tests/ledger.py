"""Journals that tests post through the real ledger service."""

from __future__ import annotations

from datetime import datetime

from funds.enums import AccountKind, JournalSource
from funds.services import journal_post, ledger_account
from projects.models import Project


def allocate(external_id: str, at: datetime, *shares: tuple[Project, int]) -> None:
    """An allocation journal: the pool credits each project's balance with its share."""
    journal_post(
        source=JournalSource.ALLOCATION,
        external_id=external_id,
        memo="pool share",
        booked_at=at,
        legs=[
            (ledger_account(kind=AccountKind.POOL), sum(cents for _p, cents in shares)),
            *((ledger_account(kind=AccountKind.PROJECT, project=p), -c) for p, c in shares),
        ],
    )


def pay_out(external_id: str, at: datetime, project: Project, cents: int) -> None:
    """A payout: a debit out of the project's balance (not money received)."""
    journal_post(
        source=JournalSource.PAYOUT,
        external_id=external_id,
        memo="payout",
        booked_at=at,
        legs=[
            (ledger_account(kind=AccountKind.PROJECT, project=project), cents),
            (ledger_account(kind=AccountKind.BANK), -cents),
        ],
    )
