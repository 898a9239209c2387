"""Mail to the administrators who approve disbursements: a computed month's
report awaits their two approvals, and once one of them approved it, the
others are told a second one is needed. Sent after the commit, in each
reader's language (`librery.mail`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from allocation.models import AllocationRun
from allocation.selectors import approvers
from funds.selectors import FUND_TIME_ZONE
from librery.mail import mail_enqueue


def _approvers(*, excluding: int | None = None) -> list[int]:
    """The ids of those who may approve (`selectors.approvers`), one apart."""
    ids = approvers().order_by("pk").values_list("pk", flat=True)
    return [pk for pk in ids if pk != excluding]


def _month(run: AllocationRun) -> date:
    return run.period_start_at.astimezone(FUND_TIME_ZONE).date()


def report_ready_notify(*, run: AllocationRun) -> None:
    """The run is computed: its disbursement report awaits two approvals."""
    mail_enqueue(
        template="allocation/email/report_ready",
        recipients=_approvers(),
        context={
            "period_date": _month(run),
            "net_cents": run.net_cents,
            "receipts": run.receipts_count,
        },
        links={"url": ("disbursement:report", [run.period])},
    )


def report_approved_once_notify(*, run: AllocationRun, approver: Any) -> None:
    """One approval is in: the other administrators are asked for the second."""
    mail_enqueue(
        template="allocation/email/report_second_approval",
        recipients=_approvers(excluding=approver.pk),
        context={"period_date": _month(run), "who": str(approver)},
        links={"url": ("disbursement:report", [run.period])},
    )
