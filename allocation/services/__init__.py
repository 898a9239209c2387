"""The allocation's writes: the monthly runs (``runs``)."""

from allocation.services.runs import (
    RunFigures,
    RunInputs,
    allocation_compute,
    allocation_month_run,
    allocation_preview,
    allocation_run_claim,
    allocation_run_execute,
    allocation_runs_resume,
    pause_for_tests,
    period_bounds,
    previous_period,
    progress_key,
    receipts_due,
    run_inputs,
    run_progress,
)

__all__ = [
    "RunFigures",
    "RunInputs",
    "allocation_compute",
    "allocation_month_run",
    "allocation_preview",
    "allocation_run_claim",
    "allocation_run_execute",
    "allocation_runs_resume",
    "pause_for_tests",
    "period_bounds",
    "previous_period",
    "progress_key",
    "receipts_due",
    "run_inputs",
    "run_progress",
]
