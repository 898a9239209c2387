from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Case, QuerySet, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from projects import services
from projects.enums import ClaimStatus, ProjectStatus
from projects.forms import ClaimDecisionForm
from projects.models import (
    FundingEntity,
    Maintainership,
    PayoutAccount,
    Project,
    ProjectClaim,
    ProjectUsage,
)


class MaintainershipInline(admin.TabularInline[Maintainership, Project]):
    model = Maintainership
    extra = 0
    autocomplete_fields = ["user"]


class ProjectUsageInline(admin.TabularInline[ProjectUsage, Project]):
    model = ProjectUsage
    extra = 0


class DecisionForm(forms.Form):
    reference = forms.CharField(
        label=_("Decision reference"),
        max_length=200,
        help_text=_("The governance decision this records, e.g. “GB-2026-07 motion 3”."),
    )


_DECISIONS: dict[str, tuple[str, Callable[..., Project]]] = {
    ProjectStatus.ADMITTED: ("admit", services.project_admit),
    ProjectStatus.SUSPENDED: ("suspend", services.project_suspend),
    ProjectStatus.ARCHIVED: ("archive", services.project_archive),
}


def _record_decision(
    modeladmin: ProjectAdmin, request: HttpRequest, queryset: QuerySet[Project], to_status: str
) -> HttpResponse | None:
    """Ask for the decision's reference, then apply it to each selected project."""
    action_name, service = _DECISIONS[to_status]
    form = DecisionForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        done = 0
        for project in queryset:
            try:
                service(
                    project=project, actor=request.user, reference=form.cleaned_data["reference"]
                )
            except services.ProjectTransitionError as exc:
                modeladmin.message_user(request, f"{project}: {exc}", messages.ERROR)
            else:
                done += 1
        modeladmin.message_user(
            request,
            ngettext(
                "Decision recorded for %(count)d project.",
                "Decision recorded for %(count)d projects.",
                done,
            )
            % {"count": done},
            messages.SUCCESS,
        )
        return None
    context: dict[str, Any] = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Record a governance decision"),
        "form": form,
        "projects": queryset,
        "action_name": f"{action_name}_projects",
        "target": ProjectStatus(to_status).label,
        "opts": modeladmin.model._meta,  # noqa: SLF001 -- Django's public API
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "projects/admin/record_decision.html", context)


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin[Project]):
    list_display = ["name", "status", "source", "source_ref", "updated_at"]
    list_filter = ["status", "source"]
    search_fields = ["name", "summary", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    # Status changes only through a recorded decision (the actions below); logos only
    # through the maintainers' page, which checks and resizes them.
    readonly_fields = [
        "status",
        "source",
        "source_ref",
        "entity",
        "manifest_guid",
        "logo",
        "created_at",
        "updated_at",
    ]
    inlines = [MaintainershipInline, ProjectUsageInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["admit_projects", "suspend_projects", "archive_projects"]

    def save_model(self, request: HttpRequest, obj: Project, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.projects_written(project_ids=[obj.pk])

    def delete_model(self, request: HttpRequest, obj: Project) -> None:
        services.project_delete(queryset=Project.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        services.project_delete(queryset=queryset)

    @admin.action(description=_("Admit (record a governance decision)"))
    def admit_projects(self, request: HttpRequest, queryset: QuerySet[Project]) -> Any:
        return _record_decision(self, request, queryset, ProjectStatus.ADMITTED)

    @admin.action(description=_("Suspend (record a governance decision)"))
    def suspend_projects(self, request: HttpRequest, queryset: QuerySet[Project]) -> Any:
        return _record_decision(self, request, queryset, ProjectStatus.SUSPENDED)

    @admin.action(description=_("Archive (record a governance decision)"))
    def archive_projects(self, request: HttpRequest, queryset: QuerySet[Project]) -> Any:
        return _record_decision(self, request, queryset, ProjectStatus.ARCHIVED)


_ACCOUNT_FIELDS = (
    "project",
    "holder_name",
    "masked_iban",
    "bic",
    "address",
    "status",
    "verified_at",
    "verified_by",
    "updated_at",
)


@admin.register(PayoutAccount)
class PayoutAccountAdmin(admin.ModelAdmin[PayoutAccount]):
    """Administrators verify accounts here; maintainers change them on their page
    (password asked again, everyone told), so nothing is editable here."""

    list_display = ["project", "holder_name", "masked_iban", "bic", "status", "verified_at"]
    list_filter = ["status"]
    search_fields = ["project__name", "holder_name"]
    fields = _ACCOUNT_FIELDS
    readonly_fields = _ACCOUNT_FIELDS
    actions = ["verify_accounts"]

    @admin.display(description=_("IBAN"))
    def masked_iban(self, account: PayoutAccount) -> str:
        return account.masked_iban

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_staff)

    @admin.action(description=_("Mark as verified (checked against a bank document)"))
    def verify_accounts(self, request: HttpRequest, queryset: QuerySet[PayoutAccount]) -> None:
        for account in queryset:
            services.payout_account_verify(account=account, actor=request.user)
        self.message_user(request, _("Accounts verified."), messages.SUCCESS)


@admin.register(FundingEntity)
class FundingEntityAdmin(admin.ModelAdmin[FundingEntity]):
    list_display = ["name", "manifest_url", "kind", "role", "updated_at"]
    search_fields = ["name", "manifest_url", "email"]
    readonly_fields = [
        "manifest_url",
        "kind",
        "role",
        "name",
        "email",
        "description",
        "webpage_url",
        "manifest",
        "submitted_by",
        "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


_CLAIM_FIELDS = (
    "project",
    "user",
    "status",
    "method",
    "evidence",
    "evidence_links",
    "review_requested_at",
    "reviewed_by",
    "reviewed_at",
    "review_reason",
    "created_at",
    "verified_at",
)


@admin.register(ProjectClaim)
class ProjectClaimAdmin(admin.ModelAdmin[ProjectClaim]):
    """Claims, those awaiting review first: an administrator reads the evidence and
    accepts or rejects each with a reason on its review page (through the services)."""

    list_display = ["project", "user", "status", "method", "review_requested_at", "review_link"]
    list_filter = ["status", "method"]
    search_fields = ["project__name", "user__email"]
    fields = _CLAIM_FIELDS
    readonly_fields = [*_CLAIM_FIELDS, "review_link"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProjectClaim]:
        pending_first = Case(When(status=ClaimStatus.REVIEW, then=0), default=1)
        return (
            super()
            .get_queryset(request)
            .select_related("project", "user")
            .order_by(pending_first, "-review_requested_at", "-created_at")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("review"))
    def review_link(self, claim: ProjectClaim) -> str:
        if claim.status != ClaimStatus.REVIEW:
            return "—"
        url = reverse("admin:projects_projectclaim_review", args=[claim.pk])
        return format_html('<a href="{}">{}</a>', url, _("Review"))

    def get_urls(self) -> list[URLPattern]:
        review = self.admin_site.admin_view(self.review_view)
        return [
            path("<int:pk>/review/", review, name="projects_projectclaim_review"),
            *super().get_urls(),
        ]

    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The claim's evidence, and Accept / Reject with a reason."""
        claim = get_object_or_404(
            ProjectClaim.objects.select_related("project", "user", "reviewed_by"), pk=pk
        )
        if not self.has_view_permission(request, claim):
            raise PermissionDenied
        form = ClaimDecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                if "accept" in request.POST:
                    services.project_claim_accept(
                        claim=claim, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                    done = _("%(user)s now maintains %(project)s.")
                else:
                    services.project_claim_reject(
                        claim=claim, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                    done = _("The claim of %(user)s on %(project)s was rejected.")
            except services.ClaimError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request, done % {"user": claim.user, "project": claim.project}, messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:projects_projectclaim_changelist"))
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": _("Review the claim of %(user)s on %(project)s")
            % {"user": claim.user, "project": claim.project},
            "claim": claim,
            "form": form,
            "opts": self.model._meta,  # noqa: SLF001 -- Django's public API
        }
        return TemplateResponse(request, "projects/admin/claim_review.html", context)
