"""allocation: tasks (thin: one service call each)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from allocation.errors import DisbursementError
from allocation.models import AllocationRun
from allocation.services import (
    allocation_month_run,
    allocation_runs_resume,
    payout_batch_create,
    payout_batches_resume,
    payouts_match_statement,
)

logger = logging.getLogger(__name__)


@shared_task(
    name="allocation.run_month", queue="default", acks_late=True, reject_on_worker_lost=True
)
def run_month(*, period: str | None = None, **kwargs: Any) -> str:
    """Monthly, on the 1st: the previous month's allocation (or `period`'s)."""
    run = allocation_month_run(period=period)
    logger.info(
        "allocation.run.computed",
        extra={"period": run.period, "receipts": run.receipts_count, "sha256": run.document_sha256},
    )
    return run.document_sha256


@shared_task(
    name="allocation.resume_runs", queue="default", acks_late=True, reject_on_worker_lost=True
)
def resume_runs(**kwargs: Any) -> list[str]:
    """Every quarter of an hour: runs left `running` by a worker that died."""
    return allocation_runs_resume()


@shared_task(
    name="allocation.create_payout_batch",
    queue="default",
    acks_late=True,
    reject_on_worker_lost=True,
)
def create_payout_batch(*, run_id: int, **kwargs: Any) -> int | None:
    """After a report's second approval: its payout batch (made once; refused
    and logged without two valid approvals). Returns the batch's id."""
    run = AllocationRun.objects.filter(pk=run_id).first()
    if run is None:
        return None
    try:
        return payout_batch_create(run=run, via="task").pk
    except DisbursementError as error:
        logger.warning("allocation.batch.refused", extra={"run": run_id, "error": str(error)})
        return None


@shared_task(
    name="allocation.resume_batches", queue="default", acks_late=True, reject_on_worker_lost=True
)
def resume_batches(**kwargs: Any) -> list[int]:
    """Every quarter of an hour: the batches of approved reports that a worker
    that died did not make."""
    return [batch.pk for batch in payout_batches_resume()]


@shared_task(name="allocation.match_payouts", queue="default", acks_late=True)
def match_payouts(*, statement_id: int | None = None, **kwargs: Any) -> dict[str, int]:
    """After a statement upload (its lines processed first), and hourly: the
    statement lines of payouts, matched (paid or failed)."""
    result = payouts_match_statement(statement_id=statement_id)
    return {"paid": len(result.paid), "failed": len(result.failed), "skipped": len(result.skipped)}
