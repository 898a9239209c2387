"""The double-entry ledger: accounts and journals, one per outside event."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from django.db import IntegrityError, connection, models, transaction
from django.db.models.expressions import RawSQL
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
    ProjectMonthTotal,
    ProjectTotal,
)
from funds.money import Money, MoneyError
from funds.selectors import FUND_TIME_ZONE
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


def ledger_accounts(*, kinds: list[AccountKind]) -> dict[AccountKind, Account]:
    """The fund's accounts of `kinds` (no project balance) in one query, each
    created on first use (as `ledger_account` does)."""
    if AccountKind.PROJECT in kinds:
        raise LedgerError("A project balance is read with its project.")
    found = {
        AccountKind(account.kind): account
        for account in Account.objects.filter(kind__in=kinds, project=None)
    }
    for kind in kinds:
        if kind not in found:
            found[kind] = ledger_account(kind=kind)
    return found


def ledger_project_accounts(*, project_ids: set[int]) -> dict[int, Account]:
    """The balance account of each of `project_ids`, read in one query; those a
    project does not have yet are created (as `ledger_account` does)."""
    wanted: Any = project_ids
    if connection.vendor == "postgresql":  # pragma: no branch -- one way per vendor
        # One array parameter, not a placeholder per project (ten thousand at
        # a monthly allocation).
        wanted = RawSQL(
            "SELECT unnest(%s::bigint[])", [sorted(project_ids)]
        )  # pragma: postgresql only
    accounts = {
        cast("int", account.project_id): account  # a project account always has one
        for account in Account.objects.filter(kind=AccountKind.PROJECT, project_id__in=wanted)
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


# Two statements per journal: its legs on project balances, summed by project, added
# to the month's totals and to the project's totals since the fund began (a row
# created the first time). `received` counts credits only; the flags say which
# other totals the journal moves (see `_project_totals_add`).
def _totals_upsert(model: type[models.Model], *, monthly: bool) -> str:
    table = model._meta.db_table  # noqa: SLF001 -- Django's Options API
    key = "project_id, month" if monthly else "project_id"
    return f"""
INSERT INTO {table} ({key}, received_cents, earmarked_cents, pool_cents,
                     paid_cents, balance_cents)
SELECT account.project_id, {"%s, " if monthly else ""}
       %s * SUM(CASE WHEN leg.amount_cents < 0 THEN -leg.amount_cents ELSE 0 END),
       %s * SUM(-leg.amount_cents),
       %s * SUM(-leg.amount_cents),
       %s * SUM(leg.amount_cents),
       SUM(-leg.amount_cents)
FROM {_LEGS} AS leg INNER JOIN {_ACCOUNTS} AS account ON account.id = leg.account_id
WHERE leg.journal_id = %s AND account.kind = %s
GROUP BY account.project_id
ON CONFLICT ({key}) DO UPDATE SET
    received_cents = {table}.received_cents + excluded.received_cents,
    earmarked_cents = {table}.earmarked_cents + excluded.earmarked_cents,
    pool_cents = {table}.pool_cents + excluded.pool_cents,
    paid_cents = {table}.paid_cents + excluded.paid_cents,
    balance_cents = {table}.balance_cents + excluded.balance_cents
"""  # noqa: S608 -- table names from the models' options, not from input


_LEGS = JournalLeg._meta.db_table  # noqa: SLF001 -- Django's Options API
_ACCOUNTS = Account._meta.db_table  # noqa: SLF001 -- Django's Options API
_MONTH_TOTALS_UPSERT = _totals_upsert(ProjectMonthTotal, monthly=True)
_TOTALS_UPSERT = _totals_upsert(ProjectTotal, monthly=False)


def project_month(at: datetime) -> date:
    """The first day of `at`'s calendar month in Europe/Paris (the fund's months)."""
    local = timezone.localtime(at, FUND_TIME_ZONE)
    return date(local.year, local.month, 1)


def _project_totals_add(journal: Journal, legs: list[LegSpec]) -> None:
    """Add a new journal's legs on project balances to `ProjectMonthTotal` and
    `ProjectTotal`, in the journal's transaction: received (credits, payouts
    given back aside), earmarked (an allocation journal that does not draw on
    the pool), from the pool (a journal debiting the pool), paid (a payout
    journal) and the balance change."""
    if not any(account.kind == AccountKind.PROJECT for account, _cents in legs):
        return
    payout = journal.source == JournalSource.PAYOUT
    from_pool = any(account.kind == AccountKind.POOL and cents > 0 for account, cents in legs)
    earmarked = journal.source == JournalSource.ALLOCATION and not from_pool
    flags: list[int | str] = [
        int(not payout),
        int(earmarked),
        int(from_pool and not payout),
        int(payout),
        journal.pk,
        AccountKind.PROJECT.value,
    ]
    month = connection.ops.adapt_datefield_value(project_month(journal.booked_at))
    with connection.cursor() as cursor:
        cursor.execute(_MONTH_TOTALS_UPSERT, [month, *flags])
        cursor.execute(_TOTALS_UPSERT, flags)


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
    # No savepoint: the journal row is inserted unless one exists (a replay, or
    # a concurrent booking that this statement waits for), so nothing in the
    # block is expected to fail; the refusal is raised once it has closed.
    with transaction.atomic(savepoint=False):
        journal = _journal_insert(
            source=source,
            external_id=external_id,
            memo=memo[:300],
            booked_at=booked_at or timezone.now(),
        )
        if journal is not None:
            _legs_insert(journal, legs)
            _project_totals_add(journal, legs)
            return journal
        existing = Journal.objects.get(source=source, external_id=external_id)
        same = _same_legs(existing, legs)
    if not same:
        raise LedgerError(
            f"{source}:{external_id} is already booked with other amounts; "
            "book a correction as a new journal."
        )
    return existing


_LEGS_INSERT = (
    f"INSERT INTO {JournalLeg._meta.db_table} (journal_id, account_id, amount_cents) "  # noqa: S608, SLF001 -- ours
    "SELECT %s, account_id, amount_cents FROM unnest(%s::bigint[], %s::bigint[]) "
    "AS leg(account_id, amount_cents)"
)


def _legs_insert(journal: Journal, legs: list[LegSpec]) -> None:
    """A journal's legs in one statement, without a model instance each (an
    allocation journal has a leg per project: ten thousand at a large fund)."""
    if connection.vendor != "postgresql":  # pragma: no branch -- one way per vendor
        JournalLeg.objects.bulk_create(  # pragma: sqlite only
            JournalLeg(journal=journal, account=account, amount_cents=cents)
            for account, cents in legs
        )
        return  # pragma: sqlite only
    with connection.cursor() as cursor:  # pragma: postgresql only
        cursor.execute(
            _LEGS_INSERT,
            [journal.pk, [account.pk for account, _c in legs], [cents for _a, cents in legs]],
        )


_JOURNAL_INSERT = (
    f"INSERT INTO {Journal._meta.db_table} "  # noqa: S608, SLF001 -- the table name is ours
    "(source, external_id, memo, booked_at, created_at) VALUES (%s, %s, %s, %s, %s) "
    "ON CONFLICT DO NOTHING RETURNING id"
)


def _journal_insert(
    *, source: JournalSource, external_id: str, memo: str, booked_at: datetime
) -> Journal | None:
    """A new journal in one statement, or None when (source, external_id) is booked."""
    created_at = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _JOURNAL_INSERT,
            [
                source.value,
                external_id,
                memo,
                connection.ops.adapt_datetimefield_value(booked_at),
                connection.ops.adapt_datetimefield_value(created_at),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return Journal(
        pk=row[0],
        source=source,
        external_id=external_id,
        memo=memo,
        booked_at=booked_at,
        created_at=created_at,
    )


def _checked_legs(legs: list[LegSpec]) -> list[LegSpec]:
    """`legs` without zero legs, refused as `journal_post` refuses them."""
    kept = [(account, cents) for account, cents in legs if cents != 0]
    for _account, cents in kept:
        try:
            Money(cents, "EUR")
        except MoneyError:
            raise LedgerError("Ledger amounts are whole cents.") from None
    if len(kept) < 2 or sum(cents for _account, cents in kept) != 0:  # noqa: PLR2004
        raise LedgerError("A journal needs non-zero legs that sum to zero.")
    return kept


def journals_post_new(
    *, source: JournalSource | str, journals: list[tuple[str, str, datetime, list[LegSpec]]]
) -> list[Journal]:
    """Book many new outside events at once (a batch of bank statement lines),
    each (external id, memo, booked at, legs) as `journal_post` books one, in a
    few statements. For events never booked: one already booked makes the
    unique (source, external id) refuse the whole batch. Journals that touch
    a project's balance are refused: `journal_post` keeps their totals."""
    source = JournalSource(source)
    checked = [
        (external_id, memo, at, _checked_legs(legs)) for external_id, memo, at, legs in journals
    ]
    if any(account.kind == AccountKind.PROJECT for *_, legs in checked for account, _ in legs):
        raise LedgerError("A journal on a project's balance is booked by journal_post.")
    created = Journal.objects.bulk_create(
        Journal(source=source, external_id=key, memo=memo[:300], booked_at=at)
        for key, memo, at, _legs in checked
    )
    JournalLeg.objects.bulk_create(
        JournalLeg(journal=journal, account=account, amount_cents=cents)
        for journal, (*_head, legs) in zip(created, checked, strict=True)
        for account, cents in legs
    )
    return created
