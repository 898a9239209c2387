"""quality.md, "Money never lost, never doubled": a rule-based state machine
drives pledge, pay, refund, dispute (chargeback), allocate, approve, payout,
replay and crash in random order through the platform's own services, and
checks the books after every step.

Each example runs in a transaction rolled back at its end (the project's way
with hypothesis, see tests/funds/test_ledger_properties.py), on a frozen clock
that the machine moves forward: receipts are dated in the month being
collected, a month is allocated on the 1st of the next one at 09:00.

Payments: bank transfers (booked by hand, or from a CAMT.053 statement) and
card payments booked as the Stripe webhook books them (`payment_succeed` with
the event's id, fee included); the webhook itself needs a Stripe server
(localstripe), so its replay is the same booking delivered again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from django.test import TestCase
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from allocation import tasks
from allocation.enums import PayoutStatus, RunStatus
from allocation.errors import DisbursementError
from allocation.models import AllocationRun, Payout, PayoutBatch
from allocation.selectors import conservation_problem
from allocation.services import allocation_month_run, payout_batch_create, payout_transition
from contributors.enums import PaymentMethod, PledgeFrequency
from contributors.models import Contributor, Pledge
from contributors.services import EarmarkInput
from funds.enums import AccountKind, PaymentEventSource, PaymentStatus, RefundStatus
from funds.models import BankStatement, Journal, Payment, PaymentRequest, Receipt, Refund
from funds.selectors import account_balance_cents, books_check, project_balances_cents
from funds.services import (
    bank_statement_import,
    payment_create,
    payment_request_mark_paid,
    payment_succeed,
    pledge_create,
    refund_fail,
    refund_record,
    refund_succeed,
)
from funds.services.bank_transfers import StatementError
from projects.enums import PayoutAccountStatus, ProjectStatus
from tests.allocation.disbursement import Admin, approve, make_admin
from tests.factories import ContributorFactory, ProjectFactory
from tests.factories.projects import PayoutAccountFactory
from tests.funds.statements import for_fund
from tests.funds.test_camt import _document
from tests.tasks import queued_tasks

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

START = datetime(2026, 1, 5, 8, 0, 1, tzinfo=UTC)  # 1 s past a TOTP window: no wait
THRESHOLD = 5_000  # FUND_SETTING_DEFAULTS' payout threshold
# Earmarks within the 50 % cap, with shares that leave remainders to round.
SPLITS = [(), (5_000,), (2_500, 2_500), (3_333, 1_667), (1, 4_999), (4_999,), (1_234,)]


class CrashError(Exception):
    """The process dies right after the service did its work, before the commit."""


@dataclass
class Paid:
    """What the model knows of a payment it saw succeed."""

    payment_id: int
    gross: int
    fee: int
    month: int  # months since January 2026 of its receipt
    card: bool
    refunds: list[tuple[int, int, int]] = field(default_factory=list)  # (amount, fee, month)
    open_refund: int = 0  # recorded, neither succeeded nor failed (a dispute under review)

    @property
    def refundable(self) -> int:
        return self.gross - sum(amount for amount, _fee, _month in self.refunds) - self.open_refund


def _period(month: int) -> str:
    return f"{2026 + month // 12}-{month % 12 + 1:02d}"


def _first_of(month: int) -> datetime:
    return datetime(2026 + month // 12, month % 12 + 1, 1, 9, 0, 1, tzinfo=UTC)


class MoneyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        cache.clear()  # allauth's used TOTP codes, the public pages' cache
        self.traveller = time_machine.travel(START, tick=False)
        self.clock = self.traveller.start()
        self.now = START
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.month = 0  # the month being collected: the next one to allocate
        self.pledges: list[tuple[int, str]] = []  # (pledge id, method) awaiting payment
        self.paid: list[Paid] = []
        self.runs: list[str] = []
        self.batches: dict[str, int] = {}  # period -> expected number of payouts, once made
        self.paid_how: dict[int, str] = {}  # payment id -> how it was booked
        self.admins = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)
        self.traveller.stop()

    # --- helpers -------------------------------------------------------------------------

    def tick(self) -> datetime:
        """An hour later, in the month being collected."""
        self.now = max(self.now + timedelta(hours=1), _first_of(self.month))
        self.clock.move_to(self.now)
        return self.now

    def admin(self) -> Admin:
        # A fresh administrator per approval: allauth takes each TOTP code once.
        self.admins += 1
        return make_admin(f"Admin {self.admins}", f"admin{self.admins}@example.org")

    def footprint(self) -> tuple[Any, ...]:
        """Everything a step can add to the books."""
        return (
            Journal.objects.count(),
            Receipt.objects.count(),
            sorted(Refund.objects.values_list("pk", "status")),
            AllocationRun.objects.count(),
            PayoutBatch.objects.count(),
            sorted(Payout.objects.values_list("pk", "status")),
            sorted(Payment.objects.values_list("pk", "status")),
        )

    def last_run(self) -> AllocationRun:
        return AllocationRun.objects.get(period=self.runs[-1])

    # --- setup ---------------------------------------------------------------------------

    @initialize()
    def fund(self) -> None:
        self.projects = [
            ProjectFactory.create(name=f"Project {n}", status=ProjectStatus.ADMITTED)
            for n in range(3)
        ]
        for project in self.projects[:2]:  # the third has no payout account: it keeps its money
            PayoutAccountFactory.create(
                project=project, status=PayoutAccountStatus.VERIFIED, verified_at=START
            )
        self.contributors = [ContributorFactory.create() for _ in range(2)]
        self.payout_admin = self.admin()

    # --- pledge --------------------------------------------------------------------------

    @rule(
        pledges=st.lists(
            st.tuples(
                st.integers(0, 1),
                st.integers(1_000, 200_000),
                st.sampled_from([PaymentMethod.BANK_TRANSFER, PaymentMethod.CARD]),
                st.sampled_from(SPLITS),
                st.permutations([0, 1, 2]),
            ),
            min_size=1,
            max_size=3,
        )
    )
    def pledge(self, pledges: list[tuple[int, int, str, tuple[int, ...], list[int]]]) -> None:
        """Contributors pledge, earmarking 0 to 2 projects within the cap."""
        for who, amount, method, shares, order in pledges:
            self.tick()
            contributor: Contributor = self.contributors[who]
            assert contributor.user is not None
            pledge = pledge_create(
                amount_cents=amount,
                actor=contributor.user,
                contributor=contributor,
                frequency=PledgeFrequency.ONE_TIME,
                payment_method=method,
                earmarks=[
                    EarmarkInput(project_id=self.projects[t].pk, share_bp=s)
                    for t, s in zip(order, shares, strict=False)
                ],
                idempotency_token=uuid.uuid4(),
            )
            assert pledge.earmarks.count() == len(shares)
            if method == PaymentMethod.BANK_TRANSFER:
                assert PaymentRequest.objects.filter(pledge=pledge).count() == 1
            self.pledges.append((pledge.pk, method))

    # --- pay -----------------------------------------------------------------------------

    def _pay(self, pledge_id: int, method: str, how: str, fee: int) -> Paid:
        at = self.tick()
        pledge = Pledge.objects.get(pk=pledge_id)
        if method == PaymentMethod.CARD:
            payment = payment_create(
                pledge=pledge,
                method=method,
                amount_cents=pledge.amount_cents,
                idempotency_key=f"pledge-{pledge.pk}-a1",
            )
            fee = min(fee, pledge.amount_cents)
            payment_succeed(
                payment=payment,
                gross_cents=pledge.amount_cents,
                processor_fee_cents=fee,
                received_at=at,
                source=PaymentEventSource.STRIPE_WEBHOOK,
                stripe_event_id=f"evt_{payment.pk}",
            )
            return Paid(payment.pk, pledge.amount_cents, fee, self.month, card=True)
        request = PaymentRequest.objects.get(pledge=pledge)
        if how == "statement":
            bank_statement_import(content=self._statement(request), filename="s.xml", actor=None)
        else:
            payment_request_mark_paid(
                request=request,
                amount_cents=request.amount_cents,
                received_at=at,
                actor=self.payout_admin.user,
            )
        request.refresh_from_db()
        return Paid(request.payment_id, request.amount_cents, 0, self.month, card=False)

    def _statement(self, request: PaymentRequest) -> bytes:
        day = self.now.date().isoformat()
        entry = (
            f'<Ntry><Amt Ccy="EUR">{request.amount_cents // 100}.{request.amount_cents % 100:02d}'
            f"</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>{day}</Dt></BookgDt>"
            f"<AcctSvcrRef>BANK-{request.pk}</AcctSvcrRef>"
            f"<AddtlNtryInf>Transfer ref {request.reference}</AddtlNtryInf></Ntry>"
        )
        return for_fund(_document(entry, statement_id=f"STMT-{request.pk}"))

    def _replay_pay(self, paid: Paid, how: str) -> None:
        """The same booking delivered again: the webhook's event, the same statement,
        the same manual booking (refused). Nothing more is booked."""
        before = self.footprint()
        payment = Payment.objects.get(pk=paid.payment_id)
        if paid.card:
            payment_succeed(
                payment=payment,
                gross_cents=paid.gross,
                processor_fee_cents=paid.fee,
                received_at=self.now,
                source=PaymentEventSource.STRIPE_WEBHOOK,
                stripe_event_id=f"evt_{payment.pk}",
            )
        elif how == "statement":
            request = PaymentRequest.objects.get(payment=payment)
            again = bank_statement_import(
                content=self._statement_of(request), filename="again.xml", actor=None
            )
            assert not again.created
        else:
            request = PaymentRequest.objects.get(payment=payment)
            with pytest.raises(StatementError):
                payment_request_mark_paid(
                    request=request,
                    amount_cents=request.amount_cents,
                    received_at=self.now,
                    actor=self.payout_admin.user,
                )
        assert self.footprint() == before

    def _statement_of(self, request: PaymentRequest) -> bytes:
        return bytes(BankStatement.objects.get(statement_id=f"STMT-{request.pk}").content)

    @precondition(lambda self: self.pledges)
    @rule(data=st.data(), count=st.integers(1, 3))
    def pay(self, data: st.DataObject, count: int) -> None:
        """Payments booked (some twice: the second books nothing)."""
        for _ in range(min(count, len(self.pledges))):
            index = data.draw(st.integers(0, len(self.pledges) - 1), label="pledge")
            how = data.draw(st.sampled_from(["manual", "statement"]), label="how")
            fee = data.draw(st.integers(0, 600), label="fee")
            pledge_id, method = self.pledges.pop(index)
            paid = self._pay(pledge_id, method, how, fee)
            paid_how = "manual" if method == PaymentMethod.CARD else how
            self.paid.append(paid)
            self.paid_how[paid.payment_id] = paid_how
            if data.draw(st.booleans(), label="twice"):
                self._replay_pay(paid, paid_how)

    # --- refund and dispute --------------------------------------------------------------

    def _refundable(self) -> list[Paid]:
        """Any payment not wholly refunded yet: also after its money was allocated
        and paid out (the project then owes it: payments.md, `_no_negative_balance`)."""
        return [p for p in self.paid if p.refundable > 0]

    @precondition(lambda self: bool(self._refundable()))
    @rule(data=st.data(), percent=st.integers(1, 100), twice=st.booleans())
    def refund(self, data: st.DataObject, percent: int, twice: bool) -> None:
        candidates = self._refundable()
        paid = data.draw(st.sampled_from(candidates), label="payment")
        amount = max(1, paid.refundable * percent // 100)
        at = self.tick()
        payment = Payment.objects.get(pk=paid.payment_id)
        refund = refund_record(payment=payment, kind="refund", amount_cents=amount)
        receipt = refund_succeed(refund=refund, received_at=at)
        assert receipt.gross_cents == -amount
        paid.refunds.append((amount, 0, self.month))
        if twice:
            before = self.footprint()
            assert refund_succeed(refund=refund, received_at=at).pk == receipt.pk
            assert self.footprint() == before
        payment.refresh_from_db()
        expected = PaymentStatus.REFUNDED if paid.refundable == 0 else None
        if expected:
            assert payment.status == expected

    @precondition(lambda self: any(p.card for p in self._refundable()))
    @rule(data=st.data(), percent=st.integers(1, 100), lost=st.booleans(), fee=st.integers(0, 1500))
    def dispute(self, data: st.DataObject, percent: int, lost: bool, fee: int) -> None:
        candidates = [p for p in self._refundable() if p.card]
        paid = data.draw(st.sampled_from(candidates), label="payment")
        payment = Payment.objects.get(pk=paid.payment_id)
        if payment.status != PaymentStatus.SUCCEEDED:
            return  # one dispute per payment: a disputed payment is disputed already
        amount = max(1, paid.refundable * percent // 100)
        at = self.tick()
        dispute = refund_record(
            payment=payment,
            kind="dispute",
            amount_cents=amount,
            stripe_dispute_id=f"dp_{payment.pk}",
            source=PaymentEventSource.STRIPE_WEBHOOK,
        )
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.DISPUTED
        if lost:
            refund_succeed(refund=dispute, received_at=at, processor_fee_cents=fee)
            paid.refunds.append((amount, fee, self.month))
        else:
            before = self.footprint()
            refund_fail(refund=dispute)
            assert self.footprint()[:2] == before[:2]  # a won dispute moves no money

    # --- allocate, approve, pay out ------------------------------------------------------

    @precondition(lambda self: self.paid)
    @rule(then_approve=st.booleans())
    def allocate(self, then_approve: bool = False) -> None:
        """The month being collected allocated on the 1st of the next (its report
        then approved, half the time: a report left unapproved is allowed)."""
        period = _period(self.month)
        at = _first_of(self.month + 1)
        self.now = at
        self.clock.move_to(at)
        run = allocation_month_run(period=period, at=at)
        assert (run.period, run.status) == (period, RunStatus.COMPUTED)
        gross, fees = self._receipts(lambda month: month == self.month)
        assert run.net_cents == gross - fees
        self.runs.append(period)
        self.month += 1
        if then_approve:
            self.approve()

    def _receipts(self, taken: Any = lambda month: True) -> tuple[int, int]:
        """Gross and fees of the receipts (refunds negative) of the months `taken` accepts."""
        rows = [(p.gross, p.fee, p.month) for p in self.paid]
        rows += [(-amount, fee, month) for p in self.paid for amount, fee, month in p.refunds]
        kept = [(gross, fee) for gross, fee, month in rows if taken(month)]
        return sum(gross for gross, _fee in kept), sum(fee for _gross, fee in kept)

    def _approve_and_batch(self, run: AllocationRun) -> PayoutBatch:
        first, second = self.admin(), self.admin()
        approve(first, run)
        assert not PayoutBatch.objects.filter(run=run).exists()
        with (
            queued_tasks(tasks.create_payout_batch) as queued,
            TestCase.captureOnCommitCallbacks(execute=True),
        ):
            approve(second, run)
        assert queued == [{"run_id": run.pk}]
        return PayoutBatch.objects.get(run=run)

    @precondition(lambda self: self.runs and self.runs[-1] not in self.batches)
    @rule()
    def approve(self) -> None:
        self.tick()
        run = self.last_run()
        balances = project_balances_cents()
        batch = self._approve_and_batch(run)
        verified = {p.pk for p in self.projects[:2]}
        expected = {
            pk: cents for pk, cents in balances.items() if pk in verified and cents >= THRESHOLD
        }
        assert dict(batch.payouts.values_list("project_id", "amount_cents")) == expected
        self.batches[run.period] = len(expected)

    @precondition(lambda self: any(self.batches.values()))
    @rule(data=st.data(), replay=st.booleans())
    def payout(self, data: st.DataObject, replay: bool) -> None:
        moves: dict[str, list[PayoutStatus]] = {
            PayoutStatus.PENDING: [PayoutStatus.SENT, PayoutStatus.FAILED],
            PayoutStatus.SENT: [PayoutStatus.PAID, PayoutStatus.FAILED],
            PayoutStatus.PAID: [PayoutStatus.FAILED],
        }
        movable = list(Payout.objects.exclude(status=PayoutStatus.FAILED).order_by("pk"))
        if not movable:
            return
        payout = data.draw(st.sampled_from(movable), label="payout")
        to_status = data.draw(st.sampled_from(moves[payout.status]), label="to")
        self.tick()
        before = account_balance_cents(kind=AccountKind.PROJECT, project=payout.project)
        moved = payout_transition(payout=payout, to_status=to_status, actor=self.payout_admin.user)
        after = account_balance_cents(kind=AccountKind.PROJECT, project=payout.project)
        returned = payout.amount_cents if to_status == PayoutStatus.FAILED else 0
        assert (moved.status, after - before) == (to_status, returned)
        if replay:
            footprint = self.footprint()
            payout_transition(payout=moved, to_status=to_status, actor=self.payout_admin.user)
            assert self.footprint() == footprint

    # --- replay and crash ----------------------------------------------------------------

    @precondition(lambda self: self.paid)
    @rule(data=st.data(), what=st.sampled_from(["payment", "refund", "allocation", "approval"]))
    def replay(self, data: st.DataObject, what: str) -> None:
        """A step already done, done again later: nothing more is booked."""
        if what == "refund" and any(p.refunds for p in self.paid):
            refund = data.draw(
                st.sampled_from(
                    list(Refund.objects.filter(status=RefundStatus.SUCCEEDED).order_by("pk"))
                )
            )
            before = self.footprint()
            refund_succeed(refund=refund, received_at=self.tick())
            assert self.footprint() == before
        elif what == "allocation" and self.runs:
            period = data.draw(st.sampled_from(self.runs), label="period")
            before = self.footprint()
            run = allocation_month_run(period=period, at=self.tick())
            assert (run.period, run.status) == (period, RunStatus.COMPUTED)
            assert self.footprint() == before
        elif what == "approval" and self.batches:
            period = data.draw(st.sampled_from(sorted(self.batches)), label="batch")
            run = AllocationRun.objects.get(period=period)
            self.tick()
            before = self.footprint()
            batch = PayoutBatch.objects.get(run=run)
            assert payout_batch_create(run=run, via="shell").pk == batch.pk
            with pytest.raises(DisbursementError):
                approve(self.admin(), run)
            assert self.footprint() == before
        else:
            paid = data.draw(st.sampled_from(self.paid), label="payment")
            self._replay_pay(paid, self.paid_how[paid.payment_id])

    @precondition(lambda self: self.paid)
    @rule(step=st.sampled_from(["pay", "refund", "allocate", "approve", "payout"]), data=st.data())
    def crash(self, step: str, data: st.DataObject) -> None:
        before = self.footprint()
        balances = project_balances_cents()
        saved = (self.now, self.month, list(self.pledges), list(self.runs), len(self.paid))
        refunds = [list(p.refunds) for p in self.paid]
        batches = dict(self.batches)
        try:
            with transaction.atomic():
                self._crash_after(step, data)
        except CrashError:
            pass
        self.now, self.month, self.pledges, self.runs, count = saved
        del self.paid[count:]
        for paid, kept in zip(self.paid, refunds, strict=True):
            paid.refunds = kept
        self.batches = batches
        self.clock.move_to(self.now)
        assert self.footprint() == before
        assert project_balances_cents() == balances

    def _crash_after(self, step: str, data: st.DataObject) -> None:
        if step == "pay" and self.pledges:
            self.pay(data, 1)
        elif step == "refund" and self._refundable():
            self.refund(data, 100, False)
        elif step == "allocate":
            self.allocate()
        elif step == "approve" and self.runs and self.runs[-1] not in self.batches:
            self.approve()
        elif step == "payout" and any(self.batches.values()):
            self.payout(data, False)
        else:
            return  # nothing to do: nothing to crash
        raise CrashError

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def books_hold(self) -> None:
        assert books_check() == []
        assert conservation_problem() is None
        assert conservation_problem(by_runs=True) is None

    @invariant()
    def model_matches_the_books(self) -> None:
        receipts = list(Receipt.objects.values_list("gross_cents", "processor_fee_cents"))
        refunds = sum(len(p.refunds) for p in self.paid)
        assert len(receipts) == len(self.paid) + refunds
        received, fees = self._receipts()
        assert (sum(g for g, _f in receipts), sum(f for _g, f in receipts)) == (received, fees)
        cash = account_balance_cents(kind=AccountKind.BANK) + account_balance_cents(
            kind=AccountKind.STRIPE_CLEARING
        )
        assert cash == received - fees
        # A run closes its receipts' gross and fees (allocation.md): what is left
        # is exactly the months not allocated yet, each receipt taken once.
        waiting = self._receipts(lambda month: month >= self.month)
        assert (
            account_balance_cents(kind=AccountKind.UNALLOCATED),
            account_balance_cents(kind=AccountKind.PROCESSOR_FEES),
        ) == waiting

    @invariant()
    def bank_never_negative(self) -> None:
        # The pool and a project may owe (a refund after the payout); the bank never
        # (Stripe's clearing may: a lost dispute's fee is taken on top of the refund).
        assert account_balance_cents(kind=AccountKind.BANK) >= 0

    @invariant()
    def one_run_per_month_one_batch_per_run(self) -> None:
        assert list(AllocationRun.objects.order_by("period").values_list("period", flat=True)) == (
            self.runs
        )
        assert not AllocationRun.objects.exclude(status=RunStatus.COMPUTED).exists()
        made = list(PayoutBatch.objects.values_list("run__period", flat=True))
        assert sorted(made) == sorted(self.batches)
        assert Payout.objects.count() == sum(self.batches.values())
        out = Payout.objects.exclude(status=PayoutStatus.FAILED)
        assert -account_balance_cents(kind=AccountKind.PAYOUTS) == sum(
            out.values_list("amount_cents", flat=True)
        )
        assert all(p.amount_cents >= THRESHOLD for p in Payout.objects.all())


def test_money_is_never_lost_nor_doubled() -> None:
    run_state_machine_as_test(
        MoneyMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
