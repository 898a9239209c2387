"""The administrators' disbursement pages: each computed month's report with
its totals, flags, lines, approvals and content hash; the approval form (the
password and a TOTP code again); the batch's payouts and their progress; the
report as CSV and PDF and the batch as a SEPA file. Staff only (a 404 for
everyone else)."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from allocation import selectors, selectors_payouts, services
from allocation.enums import PayoutStatus
from allocation.errors import DisbursementError
from allocation.models import Payout, PayoutBatch
from allocation.report_pdf import disbursement_report_pdf, flag_labels
from allocation.services.approvals import approver_problem
from allocation.staff.forms import ApproveForm, PayoutFailForm
from funds.money import format_money
from funds.permissions import staff_only
from librery.ratelimits import rate_limited
from projects.enums import PayoutAccountStatus, ProjectStatus

CSV_COLUMNS = [
    "project_id",
    "project",
    "project_status",
    "earmarked_cents",
    "pool_cents",
    "balance_before_cents",
    "balance_after_cents",
    "proposed_payout_cents",
    "payout_account",
    "flags",
]


def _account_label(value: str) -> str:
    if value == "missing":
        return _("no account")
    return str(dict(PayoutAccountStatus.choices).get(value, value))


def _value(field: str, value: Any) -> str:
    """A value of a change that voided an approval, for people."""
    shown = {
        "proposed_payout_cents": lambda: format_money(int(value)),
        "status": lambda: str(dict(ProjectStatus.choices).get(value, value)),
        "account": lambda: _account_label(str(value)),
        "administrator_maintainers": lambda: str(len(value)),
    }
    if field in shown:
        return shown[field]()
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _changes(changes: list[dict[str, Any]]) -> list[str]:
    fields = {
        "status": _("project status"),
        "account": _("payout account"),
        "proposed_payout_cents": _("payout proposed"),
        "administrator_maintainers": _("administrators among its maintainers"),
        "line": _("in the report"),
        "report": _("report content"),
    }
    return [
        _("%(project)s: %(field)s %(before)s → %(after)s")
        % {
            "project": change["project"] or "—",
            "field": fields.get(change["field"], change["field"]),
            "before": _value(change["field"], change["before"]),
            "after": _value(change["field"], change["after"]),
        }
        for change in changes
    ]


def _lines(report: services.Report) -> list[dict[str, Any]]:
    labels = flag_labels()
    return [
        {
            **line,
            "flag_labels": [labels.get(flag, flag) for flag in line["flags"]],
        }
        for line in report.lines
    ]


@staff_only
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "allocation/staff/index.html",
        {"runs": selectors_payouts.disbursement_runs()},
    )


def _context(request: HttpRequest, period: str, form: ApproveForm | None = None) -> dict[str, Any]:
    run = selectors.computed_run(period=period)
    report = services.approvals_refresh(run=run)
    history = list(selectors_payouts.approval_history(run=run))
    valid = services.valid_approvals(run=run, report=report)
    problem = approver_problem(run=run, user=request.user, report=report)
    batch = PayoutBatch.objects.filter(run=run).first()
    return {
        "run": run,
        "report": report,
        "lines": _lines(report),
        "totals": report.totals,
        "ledger_problems": services.ledger_problems(report),
        "history": [
            {"approval": approval, "changes": _changes(approval.void_changes)}
            for approval in history
        ],
        "valid_count": len(valid),
        "approved_by_me": any(a.administrator_id == request.user.pk for a in valid),
        "approver_problem": problem[1] if problem else "",
        "later_run": services.approvals.later_run_exists(run),
        "form": form or ApproveForm(initial={"sha256": report.sha256}),
        "batch": batch,
        "payouts": list(selectors_payouts.batch_payouts(run=run)) if batch else [],
        "counts": selectors_payouts.payout_counts(run=run) if batch else {},
        "fail_form": PayoutFailForm(),
    }


@staff_only
@require_GET
def report(request: HttpRequest, period: str) -> HttpResponse:
    return render(request, "allocation/staff/report.html", _context(request, period))


@staff_only
@require_POST
@rate_limited("approval")
def approve(request: HttpRequest, period: str) -> HttpResponse:
    run = selectors.computed_run(period=period)
    form = ApproveForm(request.POST)
    if form.is_valid():
        try:
            services.disbursement_approve(
                run=run,
                actor=request.user,
                password=form.cleaned_data["password"],
                totp_code=form.cleaned_data["code"],
                content_sha256=form.cleaned_data["sha256"],
            )
        except DisbursementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your approval is recorded."))
            return redirect("disbursement:report", period=period)
    context = _context(request, period, form)
    return render(request, "allocation/staff/report.html", context, status=400)


@staff_only
@require_GET
def report_csv(request: HttpRequest, period: str) -> HttpResponse:
    run = selectors.computed_run(period=period)
    report = services.approvals_refresh(run=run)
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(["period", run.period, "content_sha256", report.sha256])
    writer.writerow(CSV_COLUMNS)
    for line in report.lines:
        writer.writerow(
            [
                line["project_id"],
                line["name"],
                line["status"],
                line["earmarked_cents"],
                line["pool_cents"],
                line["balance_before_cents"],
                line["balance_after_cents"],
                line["proposed_payout_cents"],
                (line["account"] or {}).get("status", "missing"),
                " ".join(line["flags"]),
            ]
        )
    totals = report.totals
    writer.writerow(
        [
            "",
            "total",
            "",
            totals["earmarked"],
            totals["pool"],
            totals["balance_before"],
            totals["balance_after"],
            totals["proposed_payout"],
            "",
            "",
        ]
    )
    response = HttpResponse(output.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="disbursement-{run.period}.csv"'
    return response


@staff_only
@require_GET
def report_pdf(request: HttpRequest, period: str, language: str) -> HttpResponse:
    if language not in dict(settings.LANGUAGES):
        raise Http404
    run = selectors.computed_run(period=period)
    report = services.approvals_refresh(run=run)
    content = disbursement_report_pdf(
        report=report,
        approvals=list(selectors_payouts.approval_history(run=run)),
        language=language,
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="disbursement-{run.period}-{language}.pdf"'
    )
    return response


@staff_only
@require_GET
def sepa_file(request: HttpRequest, period: str) -> HttpResponse:
    batch = get_object_or_404(PayoutBatch.objects.select_related("run"), run__period=period)
    try:
        content = services.payout_batch_export(
            batch=batch, execution_date=timezone.localdate(), actor=request.user, via="page"
        )
    except DisbursementError as error:
        messages.error(request, str(error))
        return redirect("disbursement:report", period=period)
    response = HttpResponse(content, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="payouts-{period}-pain.001.xml"'
    return response


@staff_only
@require_POST
def batch_sent(request: HttpRequest, period: str) -> HttpResponse:
    batch = get_object_or_404(PayoutBatch, run__period=period)
    count = services.payout_batch_mark_sent(batch=batch, actor=request.user)
    messages.success(request, _("%(count)s payouts marked as sent.") % {"count": count})
    return redirect("disbursement:report", period=period)


PAYOUT_ACTIONS = {
    "sent": PayoutStatus.SENT,
    "paid": PayoutStatus.PAID,
    "failed": PayoutStatus.FAILED,
}


@staff_only
@require_POST
def payout_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    payout = get_object_or_404(Payout.objects.select_related("batch__run"), pk=pk)
    if action not in PAYOUT_ACTIONS:
        raise Http404
    form = PayoutFailForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.payout_transition(
            payout=payout, to_status=PAYOUT_ACTIONS[action], actor=request.user, reason=reason
        )
    except DisbursementError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(reference)s: %(status)s.")
            % {
                "reference": payout.end_to_end_id,
                "status": PayoutStatus(PAYOUT_ACTIONS[action]).label,
            },
        )
    return redirect("disbursement:report", period=payout.batch.run.period)
