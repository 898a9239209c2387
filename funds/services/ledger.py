"""The double-entry ledger: accounts and journals, one per outside event."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from django.db import IntegrityError, transaction
from django.utils import timezone

from funds.enums import (
    AccountKind,
    JournalSource,
)
from funds.errors import FundsError
from funds.models import (
    Account,
    Journal,
    JournalLeg,
)
from funds.money import Money, MoneyError
from projects.models import Project


class LedgerError(FundsError, ValueError):
    """A journal that cannot be booked; the message says why."""


LegSpec = tuple[Account, int]


def ledger_account(*, kind: AccountKind | str, project: Project | None = None) -> Account:
    """The account of `kind` (and `project`, for a project balance), created on first use."""
    kind = AccountKind(kind)
    if (kind == AccountKind.PROJECT) != (project is not None):
        raise LedgerError("A project balance needs its project, and only it does.")
    lookup = {"kind": kind, "project": project}
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(**lookup)
    except IntegrityError:  # pragma: postgresql only -- a race
        return Account.objects.get(**lookup)


def ledger_project_accounts(*, project_ids: set[int]) -> dict[int, Account]:
    """The balance account of each of `project_ids`, read in one query; those a
    project does not have yet are created (as `ledger_account` does)."""
    accounts = {
        cast("int", account.project_id): account  # a project account always has one
        for account in Account.objects.filter(kind=AccountKind.PROJECT, project_id__in=project_ids)
    }
    missing = sorted(
        Project.objects.filter(pk__in=sorted(project_ids - set(accounts))).values_list(
            "pk", flat=True
        )
    )
    if missing:
        # One statement for them all; a concurrent creation of the same
        # account is a conflict skipped, and the account read back below.
        Account.objects.bulk_create(
            [Account(kind=AccountKind.PROJECT, project_id=pk) for pk in missing],
            ignore_conflicts=True,
        )
        accounts.update(
            (cast("int", account.project_id), account)
            for account in Account.objects.filter(kind=AccountKind.PROJECT, project_id__in=missing)
        )
    return accounts


def _same_legs(journal: Journal, legs: list[LegSpec]) -> bool:
    stored = sorted(journal.legs.values_list("account_id", "amount_cents"))
    return stored == sorted((account.pk, cents) for account, cents in legs)


def journal_post(
    *,
    source: JournalSource | str,
    external_id: str,
    memo: str,
    legs: list[LegSpec],
    booked_at: datetime | None = None,
) -> Journal:
    """Book one outside event: legs (account, cents; positive debits, negative
    credits) that sum to zero. One journal per (source, external_id): replaying
    the same event returns the journal already booked; the same id with other
    legs is refused."""
    source = JournalSource(source)
    if not external_id:
        raise LedgerError("A journal needs the id of the event it books.")
    legs = [(account, cents) for account, cents in legs if cents != 0]
    for _account, cents in legs:
        try:
            Money(cents, "EUR")  # the ledger is kept in euros
        except MoneyError:
            raise LedgerError("Ledger amounts are whole cents.") from None
    if len(legs) < 2:  # noqa: PLR2004 -- double entry
        raise LedgerError("A journal needs at least two non-zero legs.")
    if sum(cents for _account, cents in legs) != 0:
        raise LedgerError("A journal's legs must sum to zero.")
    with transaction.atomic():
        existing = Journal.objects.filter(source=source, external_id=external_id).first()
        if existing is None:
            try:
                with transaction.atomic():
                    journal = Journal.objects.create(
                        source=source,
                        external_id=external_id,
                        memo=memo[:300],
                        booked_at=booked_at or timezone.now(),
                    )
                    JournalLeg.objects.bulk_create(
                        JournalLeg(journal=journal, account=account, amount_cents=cents)
                        for account, cents in legs
                    )
                    return journal
            except IntegrityError:  # pragma: postgresql only -- a race
                existing = Journal.objects.filter(source=source, external_id=external_id).first()
                if existing is None:  # pragma: no cover -- no other constraint can fail here
                    raise
        if not _same_legs(existing, legs):
            raise LedgerError(
                f"{source}:{external_id} is already booked with other amounts; "
                "book a correction as a new journal."
            )
        return existing
