from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from funds.enums import AccountKind, JournalSource, PaymentEventSource, PaymentStatus
from funds.models import Payment, Receipt
from funds.selectors import account_balance_cents, project_balances_cents
from funds.services import journal_post, ledger_account, payment_succeed
from funds.tasks import check_books
from tests.factories import ProjectFactory
from tests.factories.funds import PaymentFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
AT = datetime(2026, 3, 5, tzinfo=UTC)


def _run() -> str:
    out = StringIO()
    call_command("check_books", stdout=out, stderr=out)
    return out.getvalue()


def test_clean_books_pass() -> None:
    payment_succeed(
        payment=PaymentFactory.create(),
        gross_cents=5000,
        processor_fee_cents=100,
        received_at=AT,
        source=PaymentEventSource.SYSTEM,
    )
    assert "every invariant holds" in _run()
    assert check_books() == []


def test_negative_bank_is_named() -> None:
    journal_post(
        source=JournalSource.ADJUSTMENT,
        external_id="overdraw",
        memo="",
        legs=[
            (ledger_account(kind=AccountKind.BANK), -100),
            (ledger_account(kind=AccountKind.OPERATING), 100),
        ],
    )
    with pytest.raises(CommandError, match="no_negative_balance") as error:
        _run()
    assert error.value.returncode == 1
    assert check_books() == ["no_negative_balance"]


def test_a_negative_pool_or_project_balance_is_a_debt_not_broken_books() -> None:
    """allocation.md allocates a refund as a negative receipt with its
    original's earmarks: after the pool was shared or a project paid, that
    takes the pool and the project below zero until later receipts make it up."""
    project = ProjectFactory.create()
    journal_post(
        source=JournalSource.ADJUSTMENT,
        external_id="refund-after-payout",
        memo="",
        legs=[
            (ledger_account(kind=AccountKind.POOL), 100),
            (ledger_account(kind=AccountKind.PROJECT, project=project), 50),
            (ledger_account(kind=AccountKind.OPERATING), 10),
            (ledger_account(kind=AccountKind.UNALLOCATED), -160),
        ],
    )
    assert account_balance_cents(kind=AccountKind.POOL) == -100
    assert project_balances_cents()[project.pk] == -50
    assert "no_negative_balance" not in check_books()


def test_succeeded_payment_without_receipt_is_named() -> None:
    PaymentFactory.create(status=PaymentStatus.SUCCEEDED)
    with pytest.raises(CommandError, match="succeeded_payments_have_one_receipt"):
        _run()


def test_receipt_journal_not_matching_its_receipt_is_named() -> None:
    receipt = payment_succeed(
        payment=PaymentFactory.create(),
        gross_cents=5000,
        processor_fee_cents=100,
        received_at=AT,
        source=PaymentEventSource.SYSTEM,
    )
    # A receipt row altered behind the services' back (the ledger itself cannot be).
    Receipt.objects.filter(pk=receipt.pk).update(gross_cents=6000, net_cents=5900)
    with pytest.raises(CommandError, match="ledger_matches_receipts"):
        _run()
    assert Payment.objects.count() == 1


def test_books_are_checked_daily_by_beat() -> None:
    from librery.celery import app  # noqa: PLC0415 -- the Celery app, as beat reads it

    entry = app.conf.beat_schedule["funds.check_books"]
    assert entry["task"] == "funds.check_books"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({4}, {7})
