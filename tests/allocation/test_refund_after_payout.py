"""Found by the money state machine (test_money_state_machine.py): a refund of a
receipt whose earmarked project was already paid out made the next monthly run
fail its books check (the project's balance would go below zero), and, the
refund staying unallocated, every later run failed the same way. allocation.md
allocates a refund as a negative receipt with its original's earmarks: the
project's balance goes below zero, a debt the later months make up, and is
never paid out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client, TestCase

from allocation import tasks
from allocation.enums import RunStatus
from allocation.models import PayoutBatch
from allocation.services import allocation_month_run, disbursement_report
from contributors.enums import PaymentMethod, PledgeFrequency
from contributors.services import EarmarkInput
from funds.models import PaymentRequest
from funds.selectors import books_check, project_balances_cents
from funds.services import payment_request_mark_paid, pledge_create, refund_record, refund_succeed
from projects.enums import PayoutAccountStatus, ProjectStatus
from tests.allocation.disbursement import approve, make_admin
from tests.factories import ContributorFactory, MaintainershipFactory, ProjectFactory
from tests.factories.projects import PayoutAccountFactory
from tests.tasks import queued_tasks

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, 1, tzinfo=UTC)  # 1 s into a TOTP window


def _pledge(project: Any, cents: int) -> PaymentRequest:
    contributor = ContributorFactory.create()
    assert contributor.user is not None
    pledge = pledge_create(
        amount_cents=cents,
        actor=contributor.user,
        contributor=contributor,
        frequency=PledgeFrequency.ONE_TIME,
        payment_method=PaymentMethod.BANK_TRANSFER,
        earmarks=[EarmarkInput(project_id=project.pk, share_bp=5_000)],
        idempotency_token=uuid.uuid4(),
    )
    return PaymentRequest.objects.get(pledge=pledge)


def test_a_refund_after_the_payout_leaves_a_debt_the_next_months_make_up() -> None:
    with time_machine.travel(_at(1, 5), tick=False) as clock:
        project = ProjectFactory.create(status=ProjectStatus.ADMITTED)
        PayoutAccountFactory.create(
            project=project, status=PayoutAccountStatus.VERIFIED, verified_at=_at(1, 5)
        )
        ada = make_admin("Ada", "ada@example.org")
        bob = make_admin("Bob", "bob@example.org")
        first = _pledge(project, 20_000)
        payment_request_mark_paid(
            request=first, amount_cents=20_000, received_at=_at(1, 10), actor=ada.user
        )
        clock.move_to(_at(2, 1))
        january = allocation_month_run(period="2026-01", at=_at(2, 1))
        assert project_balances_cents()[project.pk] == 10_000
        clock.move_to(_at(2, 2))
        approve(ada, january)
        clock.move_to(_at(2, 2, 10))
        captured: Any
        with (
            queued_tasks(tasks.create_payout_batch),
            TestCase.captureOnCommitCallbacks(execute=True) as captured,
        ):
            approve(bob, january)
        assert captured
        batch = PayoutBatch.objects.get(run=january)
        assert list(batch.payouts.values_list("amount_cents", flat=True)) == [10_000]
        assert project_balances_cents()[project.pk] == 0

        # February: the contributor gets 2 EUR back; the project's half was paid out.
        clock.move_to(_at(2, 10))
        refund = refund_record(payment=first.payment, kind="refund", amount_cents=200)
        refund_succeed(refund=refund, received_at=_at(2, 10))
        clock.move_to(_at(3, 1))
        february = allocation_month_run(period="2026-02", at=_at(3, 1))
        assert february.status == RunStatus.COMPUTED
        assert february.net_cents == -200
        assert project_balances_cents()[project.pk] == -100
        assert books_check() == []
        (line,) = [
            li for li in disbursement_report(run=february).lines if li["project_id"] == project.pk
        ]
        assert (line["balance_after_cents"], line["proposed_payout_cents"]) == (-100, 0)
        # The maintainer and the public are told what a balance below zero is.
        maintainer = MaintainershipFactory.create(project=project).user
        client = Client()
        client.force_login(maintainer)
        mine = client.get("/en/projects/mine/").text
        assert "A balance below zero comes from a refund after the money was paid out" in mine
        page = Client().get(f"/projects/{project.slug}/").text
        assert "Solde après un remboursement arrivé une fois" in page
        assert "versé : -1,00\xa0€. Les fonds des mois suivants le comblent" in page
        assert "Held by the fund" not in Client().get(f"/en/projects/{project.slug}/").text

        # March: a new pledge's earmark makes the debt up.
        second = _pledge(project, 1_000)
        payment_request_mark_paid(
            request=second, amount_cents=1_000, received_at=_at(3, 10), actor=ada.user
        )
        clock.move_to(_at(4, 1))
        allocation_month_run(period="2026-03", at=_at(4, 1))
        assert project_balances_cents()[project.pk] == -100 + 500
        assert books_check() == []
