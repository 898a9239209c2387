from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from funds.enums import AccountKind, JournalSource
from funds.models import Journal, JournalLeg
from funds.selectors import account_balance_cents, pool_balance_cents, project_balances_cents
from funds.services import LedgerError, journal_post, ledger_account
from funds.services.ledger import ledger_accounts
from tests.factories import ProjectFactory
from tests.services import is_postgresql, need

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _pool_funding(cents: int, external_id: str = "run-1") -> Journal:
    return journal_post(
        source=JournalSource.ALLOCATION,
        external_id=external_id,
        memo="test",
        legs=[
            (ledger_account(kind=AccountKind.UNALLOCATED), cents),
            (ledger_account(kind=AccountKind.POOL), -cents),
        ],
    )


def test_pool_balance_comes_from_the_ledger() -> None:
    assert pool_balance_cents() == 0
    _pool_funding(12_345)
    assert pool_balance_cents() == 12_345
    assert account_balance_cents(kind=AccountKind.UNALLOCATED) == -12_345
    account = ledger_account(kind=AccountKind.POOL)
    assert account_balance_cents(account=account) == 12_345


def test_project_balances_are_per_project() -> None:
    first, second = ProjectFactory.create(), ProjectFactory.create()
    journal_post(
        source=JournalSource.ALLOCATION,
        external_id="share",
        memo="pool share",
        legs=[
            (ledger_account(kind=AccountKind.POOL), 300),
            (ledger_account(kind=AccountKind.PROJECT, project=first), -100),
            (ledger_account(kind=AccountKind.PROJECT, project=second), -200),
        ],
    )
    assert project_balances_cents() == {first.pk: 100, second.pk: 200}
    assert account_balance_cents(kind=AccountKind.PROJECT, project=second) == 200


def test_replaying_the_same_event_returns_the_same_journal() -> None:
    first = _pool_funding(500)
    again = _pool_funding(500)
    assert again.pk == first.pk
    assert Journal.objects.count() == 1
    assert JournalLeg.objects.count() == 2
    with pytest.raises(LedgerError, match="already booked with other amounts"):
        _pool_funding(501)
    assert pool_balance_cents() == 500


@pytest.mark.parametrize(
    ("legs", "message"),
    [
        ([100, -99], "sum to zero"),
        ([100], "at least two"),
        ([0, 0], "at least two"),
        ([1.5, -1.5], "whole cents"),
    ],
)
def test_unbalanced_or_malformed_journals_are_refused(legs: list[int], message: str) -> None:
    accounts = [ledger_account(kind=AccountKind.POOL), ledger_account(kind=AccountKind.OPERATING)]
    with pytest.raises(LedgerError, match=message):
        journal_post(
            source=JournalSource.ADJUSTMENT,
            external_id="bad",
            memo="",
            legs=list(zip(accounts, legs, strict=False)),
        )
    assert Journal.objects.count() == 0


def test_a_project_account_needs_its_project() -> None:
    with pytest.raises(LedgerError):
        ledger_account(kind=AccountKind.PROJECT)
    with pytest.raises(LedgerError):
        ledger_account(kind=AccountKind.POOL, project=ProjectFactory.create())
    with pytest.raises(LedgerError):
        ledger_accounts(kinds=[AccountKind.POOL, AccountKind.PROJECT])


def _check_deferred_now() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _raw_journal(external_id: str, amounts: list[int]) -> None:
    pool = ledger_account(kind=AccountKind.POOL)
    operating = ledger_account(kind=AccountKind.OPERATING)
    with transaction.atomic():
        journal = Journal.objects.create(
            source=JournalSource.ADJUSTMENT, external_id=external_id, booked_at="2026-01-01T00:00Z"
        )
        for account, cents in zip([pool, operating], amounts, strict=False):
            JournalLeg.objects.create(journal=journal, account=account, amount_cents=cents)
        _check_deferred_now()


def test_database_refuses_an_unbalanced_journal() -> None:
    need(is_postgresql(), "the ledger's database triggers exist on PostgreSQL only")
    with pytest.raises(IntegrityError, match="unbalanced"):
        _raw_journal("raw", [100, -99])
    with pytest.raises(IntegrityError, match="at least two"):
        _raw_journal("empty", [])
    with pytest.raises(IntegrityError, match="at least two"):
        _raw_journal("one", [100])
    _raw_journal("fine", [100, -100])
    assert list(Journal.objects.values_list("external_id", flat=True)) == ["fine"]


def _legs(journal: Journal, amounts: list[int]) -> None:
    pool = ledger_account(kind=AccountKind.POOL)
    with transaction.atomic():
        JournalLeg.objects.bulk_create(
            [JournalLeg(journal=journal, account=pool, amount_cents=c) for c in amounts]
        )
        _check_deferred_now()


def test_database_checks_a_many_legged_journal_once_and_whole() -> None:
    """The balance is summed once, at the journal's last leg: an error in any
    leg, or a leg added to a balanced journal later, is still refused."""
    need(is_postgresql(), "the ledger's database triggers exist on PostgreSQL only")
    journal = Journal.objects.create(
        source=JournalSource.ADJUSTMENT, external_id="many", booked_at="2026-01-01T00:00Z"
    )
    many = [c for c in range(-50, 51) if c]
    with pytest.raises(IntegrityError, match="unbalanced"):
        _legs(journal, [*many[:10], 1, *many[10:]])  # a wrong leg in the middle
    _legs(journal, many)
    with pytest.raises(IntegrityError, match="unbalanced"):
        _legs(journal, [5])  # a leg added later to the balanced journal
    _legs(journal, [5, -5])
    assert journal.legs.count() == len(many) + 2
    assert sum(journal.legs.values_list("amount_cents", flat=True)) == 0


def _raw_delete(journal_id: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM funds_journal WHERE id = %s", [journal_id])


def test_database_refuses_updates_and_deletes_of_ledger_rows() -> None:
    need(is_postgresql(), "the ledger's database triggers exist on PostgreSQL only")
    journal = _pool_funding(700)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        JournalLeg.objects.filter(journal=journal).update(amount_cents=1)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Journal.objects.filter(pk=journal.pk).update(memo="rewritten")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        JournalLeg.objects.filter(journal=journal).delete()
    with pytest.raises(IntegrityError, match="append-only"):
        _raw_delete(journal.pk)
    assert pool_balance_cents() == 700


def test_a_journal_needs_the_id_of_its_event() -> None:
    with pytest.raises(LedgerError, match=r"^A journal needs the id of the event it books\.$"):
        journal_post(
            source=JournalSource.ADJUSTMENT,
            external_id="",
            memo="",
            legs=[
                (ledger_account(kind=AccountKind.POOL), 100),
                (ledger_account(kind=AccountKind.OPERATING), -100),
            ],
        )
    assert Journal.objects.count() == 0
