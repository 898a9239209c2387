"""funds: views (documents for contributors; reconciliation for administrators)."""

from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from allocation.services import payouts_match_enqueue
from funds import documents, services
from funds.camt import statement_too_large
from funds.enums import BankStatementStatus, PaymentRequestStatus
from funds.forms import LineDecisionForm, MarkPaidForm, StatementUploadForm
from funds.models import BankStatement, BankStatementLine, PaymentRequest, Refund
from funds.money import format_money
from funds.permissions import staff_only
from funds.selectors import (
    awaiting_payment_requests,
    payment_requests_of,
    receipts_of,
    refunds_to_review,
    statement_lines,
    statement_summaries,
)
from projects.uploads import upload_too_large


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def payment_request_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    payment_request = get_object_or_404(payment_requests_of(request.user), pk=pk)
    return _pdf(
        documents.payment_request_pdf(payment_request),
        f"payment-request-{payment_request.number}.pdf",
    )


@login_required
@require_GET
def receipt_pdf(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    if language not in dict(settings.LANGUAGES):
        raise Http404
    receipt = get_object_or_404(receipts_of(request.user), pk=pk)
    return _pdf(documents.receipt_pdf(receipt, language), f"receipt-{receipt.pk}-{language}.pdf")


# --- Administrators: reconciliation ------------------------------------------------


@staff_only
@require_http_methods(["GET", "POST"])
def statements(request: HttpRequest) -> HttpResponse:
    # A body larger than the largest statement (and the form around it) is
    # refused before it is read.
    if request.method == "POST" and upload_too_large(
        request, settings.STATEMENT_MAX_BYTES + 65_536
    ):
        return render(
            request,
            "projects/upload_too_large.html",
            {"message": statement_too_large()},
            status=413,
        )
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.bank_statement_import(
                content=upload.read(),
                filename=upload.name or "",
                actor=request.user,
                process=False,  # in the import task: a long statement outlasts a request
            )
        except services.StatementError as error:
            form.add_error("file", str(error))
        else:
            if result.created:
                # The fund's own payouts on the statement, matched after its lines.
                payouts_match_enqueue(statement_ids=[s.pk for s in result.statements])
                messages.success(request, _("The statement is recorded."))
            else:
                messages.info(request, _("This statement was already recorded; nothing changed."))
            return redirect("funds:statement_detail", pk=result.statements[0].pk)
    return render(
        request,
        "funds/statements.html",
        {
            "form": form,
            "statements": statement_summaries(),
            "awaiting_requests": awaiting_payment_requests(),
            "refunds": refunds_to_review(),
        },
        status=400 if form.errors else 200,
    )


@staff_only
@require_GET
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(BankStatement.objects.defer("content"), pk=pk)
    in_progress = statement.status in {BankStatementStatus.RECEIVED, BankStatementStatus.PROCESSING}
    return render(
        request,
        "funds/statement_detail.html",
        {"statement": statement, "lines": statement_lines(statement), "in_progress": in_progress},
    )


@staff_only
@require_POST
def statement_line_decide(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(BankStatementLine, pk=pk)
    form = LineDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown payment request number."))
    else:
        try:
            services.statement_line_decide(
                line=line,
                decision=form.cleaned_data["decision"],
                payment_request=form.cleaned_data["payment_request"],
                actor=request.user,
            )
        except (services.StatementError, services.PaymentError) as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The line is decided."))
    return redirect("funds:statement_detail", pk=line.statement_id)


@staff_only
@require_POST
def payment_request_mark_paid(request: HttpRequest, pk: int) -> HttpResponse:
    payment_request = get_object_or_404(PaymentRequest, pk=pk)
    form = MarkPaidForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        received = datetime.combine(
            form.cleaned_data["received_on"], time(12), tzinfo=timezone.get_current_timezone()
        )
        try:
            booked = services.payment_request_mark_paid(
                request=payment_request,
                amount_cents=form.cleaned_data["amount"],
                received_at=received,
                actor=request.user,
                choice=form.cleaned_data["choice"],
                reason=form.cleaned_data["reason"],
            )
        except services.StatementError as error:
            messages.error(request, str(error))
        else:
            if booked.status == PaymentRequestStatus.AWAITING_PAYMENT:
                messages.success(
                    request,
                    _("The partial payment is booked; %(rest)s is still due.")
                    % {"rest": format_money(booked.remaining_cents)},
                )
            else:
                messages.success(request, _("The transfer is booked."))
    return redirect("funds:statements")


@staff_only
@require_POST
def refund_review(request: HttpRequest, pk: int) -> HttpResponse:
    refund = get_object_or_404(Refund, pk=pk)
    services.refund_mark_reviewed(refund=refund, actor=request.user)
    return redirect("funds:statements")
