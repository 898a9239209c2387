"""The funds selectors: the settings in force, a balance asked without an
account, and the books' self-check naming what breaks it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from funds.enums import AccountKind, FundSettingKey, JournalSource
from funds.models import FundSettingValue, Journal, JournalLeg
from funds.selectors import BooksProblem, account_balance_cents, books_check, fund_settings_at
from funds.services import journal_post, ledger_account

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
AT = datetime(2026, 3, 5, tzinfo=UTC)


def test_the_latest_value_in_force_wins() -> None:
    for day, value in ((1, 700), (3, 900), (10, 1100)):
        FundSettingValue.objects.create(
            key=FundSettingKey.PLEDGE_MIN_CENTS,
            value=value,
            effective_at=datetime(2026, 3, day, tzinfo=UTC),
            decision_reference=f"GB-2026-{day:02d}",
        )
    assert fund_settings_at(at=AT)[FundSettingKey.PLEDGE_MIN_CENTS] == 900
    assert (
        fund_settings_at(at=datetime(2026, 2, 1, tzinfo=UTC))[FundSettingKey.PLEDGE_MIN_CENTS]
        == fund_settings_at(at=datetime(2026, 1, 1, tzinfo=UTC))[FundSettingKey.PLEDGE_MIN_CENTS]
    )


def test_a_balance_needs_an_account_or_its_kind() -> None:
    with pytest.raises(ValueError, match=r"^Give an account or its kind\.$"):
        account_balance_cents()


def test_a_journal_with_one_leg_is_named() -> None:
    # Written behind the services' back: PostgreSQL would refuse it at commit only.
    journal = Journal.objects.create(
        source=JournalSource.ADJUSTMENT, external_id="half", booked_at=AT
    )
    JournalLeg.objects.create(
        journal=journal, account=ledger_account(kind=AccountKind.BANK), amount_cents=100
    )
    assert books_check()[:2] == [
        BooksProblem(
            "journals_balanced",
            f"journals #{journal.pk} do not have two or more legs summing to zero",
        ),
        BooksProblem("ledger_sums_to_zero", "all legs sum to 100"),
    ]
    # Balanced again before the end of the test (PostgreSQL checks journals at commit).
    JournalLeg.objects.create(
        journal=journal, account=ledger_account(kind=AccountKind.UNALLOCATED), amount_cents=-100
    )
    names = {problem.invariant for problem in books_check()}
    assert names & {"journals_balanced", "ledger_sums_to_zero"} == set()


def test_a_receipt_journal_without_its_receipt_is_named() -> None:
    journal = journal_post(
        source=JournalSource.RECEIPT,
        external_id="orphan",
        memo="",
        booked_at=AT,
        legs=[
            (ledger_account(kind=AccountKind.BANK), 100),
            (ledger_account(kind=AccountKind.UNALLOCATED), -100),
        ],
    )
    assert (
        BooksProblem("receipts_booked_once", f"receipt journals #{journal.pk} have no receipt")
        in books_check()
    )
