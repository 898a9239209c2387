from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import ReadOnlyPasswordHashWidget, UserChangeForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from contributors.models import (
    Commitment,
    Contributor,
    Earmark,
    Membership,
    Pledge,
    PledgeChange,
    User,
)


class _PasswordHashWidget(ReadOnlyPasswordHashWidget):
    """Django's widget gives its label no target, so the admin writes the
    password's help text without the id that the widget's aria-describedby
    names: here the widget is its label's target, and the help text has its id."""

    def id_for_label(self, id_: str) -> str:
        return id_


class _UserChangeForm(UserChangeForm[User]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "password" in self.fields:  # pragma: no branch -- always, in this admin
            self.fields["password"].widget = _PasswordHashWidget()


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    form = _UserChangeForm
    ordering = ["email"]
    list_display = ["email", "display_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "display_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name", "first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Contributor)
class ContributorAdmin(admin.ModelAdmin[Contributor]):
    list_display = ["name", "kind", "organisation_kind", "visibility", "is_demo", "created_at"]
    list_filter = ["kind", "organisation_kind", "visibility", "is_demo"]
    search_fields = ["name", "legal_name", "siren_siret"]
    autocomplete_fields = ["user"]
    readonly_fields = ["siren_siret", "vat_number"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["contributor", "user", "role", "created_at"]
    list_filter = ["role"]


class EarmarkInline(admin.TabularInline[Earmark, Pledge]):
    model = Earmark
    extra = 0
    readonly_fields = ["project", "share_bp"]
    can_delete = False


class PledgeChangeInline(admin.TabularInline[PledgeChange, Pledge]):
    model = PledgeChange
    extra = 0
    readonly_fields = ["kind", "actor", "data", "at"]
    can_delete = False


@admin.register(Pledge)
class PledgeAdmin(admin.ModelAdmin[Pledge]):
    """Read-only: pledges change through their contributor's pages and the services."""

    list_display = ["id", "contributor", "frequency", "amount_cents", "payment_method", "status"]
    list_filter = ["frequency", "status", "payment_method"]
    search_fields = ["contributor__name"]
    inlines = [EarmarkInline, PledgeChangeInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Pledge | None = None) -> bool:
        return False


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin[Commitment]):
    list_display = ["project_name", "contributor", "year", "budget_cents", "commitment_cents"]
