"""governance: admin (thin: writes that matter go through services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance import services
from governance.models import (
    Ballot,
    BallotEvent,
    College,
    CollegeWeight,
    DeclaredInterest,
    Mandate,
    Meeting,
    Proxy,
    Seat,
    Vote,
)


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CollegeWeightInline(ReadOnlyInline):
    model = CollegeWeight
    fields = ["weight_bp", "effective_at", "decision_reference"]


@admin.register(College)
class CollegeAdmin(admin.ModelAdmin[College]):
    list_display = ["name", "code", "seat_count"]
    fields = ["code", "name", "seat_count"]
    readonly_fields = ["code"]
    inlines = [CollegeWeightInline]

    def save_model(self, request: HttpRequest, obj: College, form: Any, change: bool) -> None:
        try:
            services.college_update(
                college=obj, name=obj.name, seat_count=obj.seat_count, actor=request.user
            )
        except services.GovernanceError as exc:
            self.message_user(request, str(exc), messages.ERROR)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin[Seat]):
    list_display = ["__str__", "college", "number"]
    list_filter = ["college"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Mandate)
class MandateAdmin(admin.ModelAdmin[Mandate]):
    list_display = ["holder", "seat", "substitute", "start_date", "end_date"]
    list_filter = ["seat__college"]
    list_select_related = ["holder", "seat__college", "substitute"]
    autocomplete_fields = ["holder", "substitute"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["seat", "holder", "substitute", "start_date", "end_date"] if obj else []

    def save_model(self, request: HttpRequest, obj: Mandate, form: Any, change: bool) -> None:
        if change:
            return
        created = services.mandate_create(
            seat=obj.seat,
            holder=obj.holder,
            substitute=obj.substitute,
            start_date=obj.start_date,
            end_date=obj.end_date,
            actor=request.user,
        )
        obj.pk = created.pk


@admin.register(DeclaredInterest)
class DeclaredInterestAdmin(admin.ModelAdmin[DeclaredInterest]):
    list_display = ["user", "project", "kind", "declared_at"]
    autocomplete_fields = ["user", "project"]

    def save_model(
        self, request: HttpRequest, obj: DeclaredInterest, form: Any, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.interest_declare(
            user=obj.user, project=obj.project, kind=obj.kind, note=obj.note, actor=request.user
        )
        obj.pk = created.pk


class VoteInline(ReadOnlyInline):
    model = Vote
    fields = ["seat", "member", "cast_by", "choice", "points", "receipt", "version", "cast_at"]


class EventInline(ReadOnlyInline):
    model = BallotEvent
    fields = ["kind", "actor", "data", "at"]


@admin.register(Ballot)
class BallotAdmin(admin.ModelAdmin[Ballot]):
    list_display = ["title", "kind", "status", "closes_at", "decision_number"]
    list_filter = ["kind", "status"]
    actions = ["open_now", "close_due", "release_results"]
    readonly_fields = [
        "status",
        "electorate",
        "electorate_fingerprint",
        "frozen_settings",
        "recusals",
        "settings_frozen_at",
        "result",
        "bundle_hash",
        "adopted",
        "decision_number",
        "released_at",
        "reminder_sent_at",
        "created_by",
    ]
    exclude = ["bundle"]
    autocomplete_fields = ["effect_project"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or obj.status == "draft"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Never in bulk (no "delete selected"); only a draft that nobody saw, on its page.
        return obj is not None and obj.status == "draft"

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        # Votes stay hidden until the ballot closes, from administrators too.
        if obj is not None and obj.status in ("closed", "released"):
            return [VoteInline, EventInline]
        return [EventInline]

    def save_model(self, request: HttpRequest, obj: Ballot, form: Any, change: bool) -> None:
        if change:
            services.ballot_update(
                ballot=obj,
                actor=request.user,
                title=obj.title,
                description=obj.description,
                closes_at=obj.closes_at,
            )
            return
        created = services.ballot_create(
            kind=obj.kind,
            title=obj.title,
            description=obj.description,
            closes_at=obj.closes_at,
            majority=obj.majority,
            effect=obj.effect,
            effect_project=obj.effect_project,
            effect_setting_key=obj.effect_setting_key,
            effect_value=obj.effect_value,
            effect_weights=obj.effect_weights,
            effect_effective_at=obj.effect_effective_at,
            meeting=obj.meeting,
            opens_at=obj.opens_at,
            actor=request.user,
        )
        obj.pk = created.pk

    def _run(self, request: HttpRequest, queryset: QuerySet[Ballot], action: Any) -> None:
        for ballot in queryset:
            try:
                action(ballot)
            except services.GovernanceError as exc:
                self.message_user(request, f"{ballot}: {exc}", messages.ERROR)

    @admin.action(description=_("Open the selected ballots now"))
    def open_now(self, request: HttpRequest, queryset: QuerySet[Ballot]) -> None:
        now = timezone.now()
        self._run(
            request, queryset, lambda b: services.ballot_open(ballot=b, actor=request.user, at=now)
        )

    @admin.action(description=_("Close the selected ballots (after their closing time)"))
    def close_due(self, request: HttpRequest, queryset: QuerySet[Ballot]) -> None:
        now = timezone.now()
        self._run(
            request, queryset, lambda b: services.ballot_close(ballot=b, actor=request.user, at=now)
        )

    @admin.action(description=_("Release the results of the selected ballots"))
    def release_results(self, request: HttpRequest, queryset: QuerySet[Ballot]) -> None:
        now = timezone.now()
        self._run(
            request,
            queryset,
            lambda b: services.ballot_release(ballot=b, actor=request.user, at=now),
        )


@admin.register(Proxy)
class ProxyAdmin(admin.ModelAdmin[Proxy]):
    list_display = ["ballot", "giver", "holder", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin[Meeting]):
    list_display = ["held_on_date", "title", "minutes_adopted_reference"]
    readonly_fields = ["minutes_adopted_reference"]
    filter_horizontal = ["attendees"]
