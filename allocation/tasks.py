"""allocation: tasks (thin: one service call each)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from allocation.services import allocation_month_run, allocation_runs_resume

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
