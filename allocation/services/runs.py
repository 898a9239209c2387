"""The monthly allocation run (allocation.md): take the month's receipts, split
them exactly between the fee, the earmarked projects and the pool, share the
pool by the round in force, book it all in the ledger, in one transaction.

The sums run in the database (one aggregate over the receipts, one over their
earmark lines grouped by project); Python only rounds one row per destination,
so memory does not grow with the number of receipts."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from allocation.arithmetic import (
    BP,
    FEE,
    POOL,
    PROJECT_KIND,
    Apportionment,
    Destination,
    destination_label,
    project,
    round_units,
    share_pool,
)
from allocation.documents import document_sha256
from allocation.enums import MONTH_REGEX, DestinationStage, RunStage, RunStatus
from allocation.errors import AllocationError
from allocation.models import AllocationRun, RunDestination
from allocation.selectors import conservation_problem
from allocation.services.notices import report_ready_notify
from allocation.services.sums import ReceiptSums, receipt_sums, take_receipts
from funds import selectors as fund_selectors
from funds import services as fund_services
from funds.enums import AccountKind, FundSettingKey, JournalSource
from funds.models import Receipt
from funds.selectors import FUND_TIME_ZONE
from funds.tasks import check_books as check_books_task
from governance.selectors import pool_shares_in_force
from governance.tally import frac_str, parse_frac
from librery.models import PublicationKind
from librery.pagecache import public_pages_changed
from librery.publication import public_path
from librery.rows import rows_write
from librery.services import log_action, publication_append
from projects.models import Project

logger = logging.getLogger(__name__)


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """``"2026-03"`` -> the first instants of March and April 2026 in Paris."""
    if not re.fullmatch(MONTH_REGEX, period):
        raise AllocationError(f"{period!r} is not a month such as 2026-03.")
    year, month = int(period[:4]), int(period[5:])
    start = datetime(year, month, 1, tzinfo=FUND_TIME_ZONE)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=FUND_TIME_ZONE)
    return start, end


def previous_period(now: datetime) -> str:
    """The calendar month (Paris) before the one `now` falls in."""
    local = now.astimezone(FUND_TIME_ZONE)
    year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    return f"{year:04d}-{month:02d}"


@dataclass(frozen=True)
class RunInputs:
    """What a run reads when it starts, recorded on it."""

    fee_bp: int
    earmark_cap_bp: int
    payout_threshold_cents: int
    round_ballot_id: int | None
    round_decision_number: str
    fractions: dict[int, Fraction]  # eligible projects only
    eligible: frozenset[int]
    pool_carried_in_cents: int


@dataclass(frozen=True)
class RunFigures:
    """What a run computes: totals, the first rounding and the pool's."""

    receipts_count: int
    gross_cents: int
    processor_fee_cents: int
    net_cents: int
    units: dict[Destination, int]
    first: Apportionment[Destination]
    pool: Apportionment[Destination]

    def cents(self, destination: Destination) -> int:
        return self.first.amounts.get(destination, 0)

    @property
    def fee_cents(self) -> int:
        return self.cents(FEE)

    @property
    def pool_in_cents(self) -> int:
        return self.cents(POOL)

    @property
    def earmarked_cents(self) -> int:
        return self.net_cents - self.fee_cents - self.pool_in_cents

    @property
    def pool_shared_cents(self) -> int:
        return sum(c for d, c in self.pool.amounts.items() if d != POOL)

    @property
    def pool_carried_out_cents(self) -> int:
        return self.pool.amounts.get(POOL, 0)


def run_inputs(*, at: datetime) -> RunInputs:
    """The fund settings, the eligible projects and the round in force at `at`."""
    settings_now = fund_selectors.fund_settings_at(at=at)
    eligible = frozenset(Project.objects.fundable().values_list("pk", flat=True))
    shares = pool_shares_in_force(at=at)
    fractions = {} if shares is None else {p: f for p, f in shares.shares.items() if p in eligible}
    return RunInputs(
        fee_bp=settings_now[FundSettingKey.MANAGEMENT_FEE_BP],
        earmark_cap_bp=settings_now[FundSettingKey.EARMARK_CAP_BP],
        payout_threshold_cents=settings_now[FundSettingKey.PAYOUT_THRESHOLD_CENTS],
        round_ballot_id=None if shares is None else shares.ballot_id,
        round_decision_number="" if shares is None else shares.number,
        fractions=fractions,
        eligible=eligible,
        pool_carried_in_cents=fund_selectors.pool_balance_cents(),
    )


def allocation_figures(*, sums: ReceiptSums, inputs: RunInputs) -> RunFigures:
    """allocation.md's computation, from the receipts' sums: exact units per
    destination, the first rounding, then the pool shared by the round."""
    after_fee = BP - inputs.fee_bp
    net = sums.net_cents
    units: dict[Destination, int] = {FEE: net * inputs.fee_bp * BP}
    earmarked = 0
    for project_id, weighted in sorted(sums.weighted.items()):
        if project_id in inputs.eligible:
            units[project(project_id)] = after_fee * weighted
            earmarked += weighted
    units[POOL] = after_fee * (BP * net - earmarked)
    first = round_units(units)
    pool = share_pool(
        pool_cents=first.amounts[POOL] + inputs.pool_carried_in_cents,
        fractions=inputs.fractions or None,
    )
    return RunFigures(
        receipts_count=sums.count,
        gross_cents=sums.gross_cents,
        processor_fee_cents=sums.processor_fee_cents,
        net_cents=net,
        units=units,
        first=first,
        pool=pool,
    )


def allocation_compute(*, receipts: QuerySet[Receipt], inputs: RunInputs) -> RunFigures:
    """allocation.md's computation over `receipts`, summed in the database."""
    return allocation_figures(sums=receipt_sums(receipts), inputs=inputs)


def receipts_due(*, period_end_at: datetime) -> QuerySet[Receipt]:
    """Receipts no run has taken, received before `period_end_at`."""
    return Receipt.objects.filter(received_at__lt=period_end_at, allocation__isnull=True)


def allocation_preview(*, period: str, at: datetime | None = None) -> RunFigures:
    """What a run of `period` would give now, booking nothing."""
    _start, end = period_bounds(period)
    return allocation_compute(
        receipts=receipts_due(period_end_at=end), inputs=run_inputs(at=at or timezone.now())
    )


def _book(run: AllocationRun, figures: RunFigures, at: datetime) -> None:
    """Two journals, one per stage: the receipts to the fee, the projects and the
    pool (closing unallocated receipts and their processor fees); then the pool
    to the projects of the round. A stage booked twice books nothing more."""
    account = fund_services.ledger_account
    accounts = fund_services.ledger_project_accounts(
        project_ids={
            d[1] for d in (*figures.first.amounts, *figures.pool.amounts) if d[0] == PROJECT_KIND
        }
    )
    legs = [
        (account(kind=AccountKind.UNALLOCATED), figures.gross_cents),
        (account(kind=AccountKind.PROCESSOR_FEES), -figures.processor_fee_cents),
        (account(kind=AccountKind.OPERATING), -figures.fee_cents),
        (account(kind=AccountKind.POOL), -figures.pool_in_cents),
    ]
    legs += [
        (accounts[d[1]], -cents)
        for d, cents in sorted(figures.first.amounts.items())
        if d[0] == PROJECT_KIND
    ]
    if any(cents for _account, cents in legs):
        fund_services.journal_post(
            source=JournalSource.ALLOCATION,
            external_id=_journal_ids(run)[0],
            memo=f"Allocation {run.period}: receipts to the fee, earmarks and the pool",
            legs=legs,
            booked_at=at,
        )
    shared = [
        (accounts[d[1]], -cents)
        for d, cents in sorted(figures.pool.amounts.items())
        if d[0] == PROJECT_KIND and cents
    ]
    if shared:
        fund_services.journal_post(
            source=JournalSource.ALLOCATION,
            external_id=_journal_ids(run)[1],
            memo=f"Allocation {run.period}: the pool shared by {run.round_decision_number}",
            legs=[(account(kind=AccountKind.POOL), figures.pool_shared_cents), *shared],
            booked_at=at,
        )


DestinationRow = tuple[str, str, int | None, str, int, int]
_DESTINATION_COLUMNS = ["stage", "destination", "project_id", "exact", "cents", "remainder_rank"]


def _destination_rows(figures: RunFigures) -> Iterator[DestinationRow]:
    """(stage, destination, project id, exact, cents, remainder rank) of every
    destination at both roundings."""
    for stage, result, exact in (
        (DestinationStage.RECEIPTS, figures.first, figures.units),
        (DestinationStage.POOL, figures.pool, None),
    ):
        for destination, cents in result.amounts.items():
            yield (
                stage.value,
                destination_label(destination),
                destination[1] if destination[0] == PROJECT_KIND else None,
                str(exact[destination]) if exact is not None else "",
                cents,
                result.ranks[destination],
            )


def _destinations_write(run: AllocationRun, figures: RunFigures) -> None:
    """The run's destinations, written as rows, not model instances: ten
    thousand projects make twenty thousand rows at a large run."""
    rows_write(
        RunDestination,
        ("run_id", *_DESTINATION_COLUMNS),
        ((run.pk, *row) for row in _destination_rows(figures)),
    )


def allocation_run_claim(*, period: str, actor: Any = None, at: datetime) -> AllocationRun:
    """The run of `period`, created (running) if there is none yet; two workers
    asking at once get the same row."""
    start, end = period_bounds(period)
    if end > at:
        raise AllocationError(f"The month {period} is not over yet.")
    existing = AllocationRun.objects.filter(period=period).first()
    if existing is not None:
        return existing
    inputs = run_inputs(at=at)
    try:
        with transaction.atomic():
            run = AllocationRun.objects.create(
                period=period,
                period_start_at=start,
                period_end_at=end,
                fee_bp=inputs.fee_bp,
                earmark_cap_bp=inputs.earmark_cap_bp,
                payout_threshold_cents=inputs.payout_threshold_cents,
                round_ballot_id=inputs.round_ballot_id,
                round_decision_number=inputs.round_decision_number,
                round_fractions={str(p): frac_str(f) for p, f in sorted(inputs.fractions.items())},
                eligible_project_ids=sorted(inputs.eligible),
                started_at=at,
                started_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            log_action(action="allocation.run.started", obj=run, actor=actor)
    except IntegrityError:  # pragma: postgresql only -- a race
        return AllocationRun.objects.get(period=period)
    return run


def progress_key(run_id: int) -> str:
    return f"allocation:run:{run_id}:progress"


def _progress(run: AllocationRun, stage: RunStage, **counts: int) -> None:
    """Where a running run is, in the shared cache: its transaction hides the row's
    own `stage` from the pages until it commits."""
    cache.set(progress_key(run.pk), {"stage": stage.value, **counts}, timeout=6 * 60 * 60)


def run_progress(*, run: AllocationRun) -> dict[str, Any]:
    """The stage and counts of a running run, as its worker last reported them."""
    if run.status != RunStatus.RUNNING:
        return {"stage": run.stage, "receipts": run.receipts_count}
    return cache.get(progress_key(run.pk)) or {"stage": run.stage}


def _inputs_of(run: AllocationRun) -> RunInputs:
    """The inputs recorded on `run` when it started, with the pool carried in
    read from the ledger now (the run holds its row's lock)."""
    return RunInputs(
        fee_bp=run.fee_bp,
        earmark_cap_bp=run.earmark_cap_bp,
        payout_threshold_cents=run.payout_threshold_cents,
        round_ballot_id=run.round_ballot_id,
        round_decision_number=run.round_decision_number,
        fractions={int(p): parse_frac(f) for p, f in run.round_fractions.items()},
        eligible=frozenset(run.eligible_project_ids),
        pool_carried_in_cents=fund_selectors.pool_balance_cents(),
    )


def pause_for_tests(*, period: str) -> None:
    """Tests of a worker killed in the middle of a run make it wait here, at a
    known point inside its transaction (`LIBRERY_ALLOCATION_PAUSE_SECONDS`,
    never set in production): the receipts are taken, nothing else is done."""
    seconds = getattr(settings, "LIBRERY_ALLOCATION_PAUSE_SECONDS", 0)
    if seconds:
        logger.warning("allocation.run.paused", extra={"period": period, "seconds": seconds})
        time.sleep(seconds)


def _check_books(run: AllocationRun, when: str) -> None:
    """The invariants of the books the run can break, on what it touches (its
    journals balanced), and allocation.md's conservation over every computed
    run. The pool and a project may end below zero (a refund after the money
    was shared or paid): allocation.md allows it, and later receipts make it
    up. The whole books are checked after it commits (`funds.check_books`)."""
    journals = fund_selectors.journals_by_external_id(
        source=JournalSource.ALLOCATION, external_ids=_journal_ids(run)
    )
    problems = [
        f"{p.invariant}: {p.detail}"
        for p in fund_selectors.books_check_of_journals(journals=journals)
    ]
    conservation = conservation_problem(by_runs=True)
    if conservation is not None:
        problems.append(f"conservation: {conservation}")
    if problems:
        raise AllocationError(f"The books do not hold {when} the run: {'; '.join(problems)}")


def _journal_ids(run: AllocationRun) -> list[str]:
    return [f"run-{run.period}-receipts", f"run-{run.period}-pool"]


def allocation_run_execute(*, run: AllocationRun, at: datetime | None = None) -> AllocationRun:
    """Compute, book and publish `run` in one transaction. A run already
    computed is returned as it is; one that fails leaves nothing (it stays
    `running`, for the periodic task to start again)."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = AllocationRun.objects.select_for_update().get(pk=run.pk)
        if locked.status == RunStatus.COMPUTED:
            return locked
        _progress(locked, RunStage.STARTED)
        _check_books(locked, "before")
        inputs = _inputs_of(locked)
        taken, sums = take_receipts(locked)
        _progress(locked, RunStage.RECEIPTS, receipts=taken)
        pause_for_tests(period=locked.period)
        if sums.count != taken:  # pragma: no cover -- the unique receipt forbids it
            raise AllocationError("The run did not take the receipts it counted.")
        figures = allocation_figures(sums=sums, inputs=inputs)
        _progress(locked, RunStage.POOL, receipts=taken)
        # Booked as of the month's last instant: the allocation of March is March's.
        _book(locked, figures, locked.period_end_at - timedelta(microseconds=1))
        _progress(locked, RunStage.LEDGER, receipts=taken)
        _destinations_write(locked, figures)
        locked.receipts_count = figures.receipts_count
        locked.net_cents = figures.net_cents
        locked.fee_cents = figures.fee_cents
        locked.earmarked_cents = figures.earmarked_cents
        locked.pool_in_cents = figures.pool_in_cents
        locked.pool_carried_in_cents = inputs.pool_carried_in_cents
        locked.pool_shared_cents = figures.pool_shared_cents
        locked.pool_carried_out_cents = figures.pool_carried_out_cents
        locked.document_sha256 = document_sha256(locked)
        locked.status = RunStatus.COMPUTED
        locked.stage = RunStage.PUBLISHED
        locked.computed_at = at
        locked.save()
        public_pages_changed()
        _check_books(locked, "after")
        _progress(locked, RunStage.PUBLISHED, receipts=taken)
        log_action(
            action="allocation.run.computed",
            obj=locked,
            data={
                "receipts": figures.receipts_count,
                "net_cents": figures.net_cents,
                "sha256": locked.document_sha256,
            },
        )
        report_ready_notify(run=locked)
        publication_append(
            kind=PublicationKind.ALLOCATION_RUN,
            reference=locked.period,
            url=public_path("allocation:run_json", locked.period),
            sha256=locked.document_sha256,
            at=at,
        )
        # The whole books, checked once the run is visible (the task logs an
        # error naming each broken invariant).
        transaction.on_commit(lambda: check_books_task.delay())
    return locked


def allocation_month_run(
    *, period: str | None = None, actor: Any = None, at: datetime | None = None
) -> AllocationRun:
    """Run `period` (by default the month before `at`): claim it, then compute it."""
    at = at or timezone.now()
    run = allocation_run_claim(period=period or previous_period(at), actor=actor, at=at)
    return allocation_run_execute(run=run, at=at)


def allocation_runs_resume(*, at: datetime | None = None) -> list[str]:
    """Start again every run left `running` by a worker that died (its row is not
    locked by a live transaction); returns their periods."""
    resumed = []
    for pk in AllocationRun.objects.filter(status=RunStatus.RUNNING).values_list("pk", flat=True):
        with transaction.atomic():
            free = (
                AllocationRun.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=RunStatus.RUNNING)
                .first()
            )
            if free is None:  # pragma: postgresql only branch -- a live worker holds it
                continue  # pragma: postgresql only
            resumed.append(allocation_run_execute(run=free, at=at).period)
    return resumed
