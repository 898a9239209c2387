"""The allocation's writes: the monthly runs (``runs``), the disbursement
report (``reports``), its four-eyes approval (``approvals``) and the payout
batches and payouts (``payouts``)."""

from allocation.services.approvals import (
    approvals_refresh,
    disbursement_approve,
    is_approver,
    valid_approvals,
)
from allocation.services.payouts import (
    PayoutMatches,
    payout_batch_create,
    payout_batch_mark_sent,
    payout_batches_resume,
    payout_transition,
    payouts_match_enqueue,
    payouts_match_statement,
    payouts_match_statements,
)
from allocation.services.reports import (
    Report,
    content_sha256,
    disbursement_report,
    disbursement_report_compute,
    ledger_problems,
)
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
    "PayoutMatches",
    "Report",
    "RunFigures",
    "RunInputs",
    "allocation_compute",
    "allocation_month_run",
    "allocation_preview",
    "allocation_run_claim",
    "allocation_run_execute",
    "allocation_runs_resume",
    "approvals_refresh",
    "content_sha256",
    "disbursement_approve",
    "disbursement_report",
    "disbursement_report_compute",
    "is_approver",
    "ledger_problems",
    "pause_for_tests",
    "payout_batch_create",
    "payout_batch_mark_sent",
    "payout_batches_resume",
    "payout_transition",
    "payouts_match_enqueue",
    "payouts_match_statement",
    "payouts_match_statements",
    "period_bounds",
    "previous_period",
    "progress_key",
    "receipts_due",
    "run_inputs",
    "run_progress",
    "valid_approvals",
]
