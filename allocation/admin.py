"""allocation: admin. Runs are read-only; an administrator previews or starts a
month from the "Allocate a month" page (the run itself happens in a task)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.errors import AllocationError, DisbursementError
from allocation.forms import AllocateForm
from allocation.models import AllocationRun, Approval, Payout, RunDestination
from allocation.services import (
    allocation_preview,
    allocation_run_claim,
    payout_batch_create,
    run_progress,
)
from allocation.tasks import run_month


class RunDestinationInline(admin.TabularInline[RunDestination, AllocationRun]):
    model = RunDestination
    extra = 0
    can_delete = False
    fields = ["stage", "destination", "project", "exact", "cents", "remainder_rank"]
    readonly_fields = ["stage", "destination", "project", "exact", "cents", "remainder_rank"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AllocationRun)
class AllocationRunAdmin(admin.ModelAdmin[AllocationRun]):
    list_display = ["period", "status", "receipts_count", "net_cents", "started_at"]
    list_filter = ["status"]
    inlines = [RunDestinationInline]
    change_form_template = "admin/allocation/allocationrun/change_form.html"
    change_list_template = "admin/allocation/allocationrun/change_list.html"
    actions = ["create_payout_batch"]

    @admin.action(description=_("Create the payout batch (needs two valid approvals)"))
    def create_payout_batch(self, request: HttpRequest, queryset: Any) -> None:
        """The same service as the task's: refused, and logged, without the
        report's two valid approvals."""
        for run in queryset:
            try:
                batch = payout_batch_create(run=run, actor=request.user, via="admin")
            except DisbursementError as error:
                messages.error(request, f"{run.period}: {error}")
            else:
                messages.success(
                    request,
                    _("%(period)s: the payout batch #%(batch)s exists.")
                    % {"period": run.period, "batch": batch.pk},
                )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in AllocationRun._meta.fields] + ["progress"]  # noqa: SLF001

    @admin.display(description=_("progress"))
    def progress(self, run: AllocationRun) -> str:
        state = run_progress(run=run)
        return _("stage %(stage)s, %(receipts)s receipts") % {
            "stage": state.get("stage", ""),
            "receipts": state.get("receipts", "…"),
        }

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        allocate = self.admin_site.admin_view(self.allocate_view)
        return [path("allocate/", allocate, name="allocation_allocate"), *super().get_urls()]

    def allocate_view(self, request: HttpRequest) -> HttpResponse:
        """Preview a month (nothing booked) or start its run in a task."""
        if not self.has_view_permission(request) or not request.user.is_superuser:
            messages.error(request, _("Only an administrator allocates a month."))
            return HttpResponseRedirect(reverse("admin:index"))
        form = AllocateForm(request.POST or None)
        preview = None
        if request.method == "POST" and form.is_valid():
            period = form.cleaned_data["period"]
            try:
                if "run" in request.POST:
                    return self._start(request, period)
                preview = allocation_preview(period=period)
            except AllocationError as error:
                form.add_error("period", str(error))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Allocate a month"),
            "form": form,
            "preview": preview,
            "opts": self.model._meta,  # noqa: SLF001
        }
        return TemplateResponse(request, "admin/allocation/allocate.html", context)

    def _start(self, request: HttpRequest, period: str) -> HttpResponse:
        with transaction.atomic():
            run = allocation_run_claim(period=period, actor=request.user, at=timezone.now())
            transaction.on_commit(lambda: run_month.delay(period=period))
        messages.success(
            request, _("The allocation of %(period)s has started.") % {"period": period}
        )
        return HttpResponseRedirect(reverse("admin:allocation_allocationrun_change", args=[run.pk]))


class _ReadOnly(admin.ModelAdmin[Any]):
    """Written only by the disbursement's services (the staff pages act)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Approval)
class ApprovalAdmin(_ReadOnly):
    list_display = ["run", "administrator", "approved_at", "content_sha256", "voided_at"]
    list_filter = ["run"]


@admin.register(Payout)
class PayoutAdmin(_ReadOnly):
    list_display = ["end_to_end_id", "project", "amount_cents", "status", "batch"]
    list_filter = ["status", "batch"]
    search_fields = ["project__name"]
