from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from funds.models import (
    Account,
    BankStatement,
    BankStatementLine,
    FundSettingValue,
    Journal,
    JournalLeg,
    Payment,
    PaymentEvent,
    PaymentRequest,
    Receipt,
    Refund,
    StripeEvent,
)
from funds.money import format_money


def money_column(field: str, label: Any) -> Callable[[Any], str]:
    """A list column showing `field` (integer cents) as money in the reader's
    language ("24 000,00 €"), never as raw cents; sortable by the field."""

    @admin.display(description=label, ordering=field)
    def show(obj: Any) -> str:
        return format_money(getattr(obj, field), getattr(obj, "currency", "EUR"))

    return show


AMOUNT = money_column("amount_cents", _("Amount"))


@admin.display(description=_("Pledge"), ordering="pledge_id")
def pledge_column(obj: Any) -> str:
    """The pledge by number and contributor (its own text shows raw cents)."""
    return f"#{obj.pledge_id} · {obj.pledge.contributor.name}"


@admin.register(FundSettingValue)
class FundSettingValueAdmin(admin.ModelAdmin[FundSettingValue]):
    """Read-only: settings change only through governance decisions."""

    list_display = ["key", "value", "effective_at", "decision_reference", "created_at"]
    list_filter = ["key"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: FundSettingValue | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: FundSettingValue | None = None
    ) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Money rows change only through the services: the admin shows them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class JournalLegInline(admin.TabularInline[JournalLeg, Journal]):
    model = JournalLeg
    extra = 0
    can_delete = False
    readonly_fields = ["account", "amount_cents"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["kind", "project", "created_at"]
    list_filter = ["kind"]


@admin.register(Journal)
class JournalAdmin(ReadOnlyAdmin):
    list_display = ["source", "external_id", "memo", "booked_at"]
    list_filter = ["source"]
    search_fields = ["external_id", "memo"]
    inlines = [JournalLegInline]


class PaymentEventInline(admin.TabularInline[PaymentEvent, Payment]):
    model = PaymentEvent
    extra = 0
    can_delete = False
    readonly_fields = ["status", "at", "source", "stripe_event_id", "actor"]
    fields = ["status", "at", "source", "stripe_event_id", "actor"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["id", pledge_column, "method", AMOUNT, "status", "created_at"]
    list_select_related = ["pledge__contributor"]
    list_filter = ["status", "method"]
    search_fields = ["stripe_payment_intent_id", "idempotency_key"]
    inlines = [PaymentEventInline]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "payment", AMOUNT, "status", "reviewed_by", "created_at"]
    list_filter = ["kind", "status"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "contributor",
        money_column("gross_cents", _("Gross")),
        money_column("processor_fee_cents", _("Processor fee")),
        money_column("net_cents", _("Net")),
        "received_at",
    ]
    search_fields = ["contributor__name"]


@admin.register(PaymentRequest)
class PaymentRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "reference",
        pledge_column,
        AMOUNT,
        money_column("received_cents", _("Amount received")),
        "status",
        "issued_at",
    ]
    list_filter = ["status", "year"]
    list_select_related = ["pledge__contributor"]
    search_fields = ["number", "reference"]


@admin.register(BankStatement)
class BankStatementAdmin(ReadOnlyAdmin):
    list_display = [
        "statement_id",
        "account_iban",
        "status",
        "lines_done",
        "lines_total",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["status"]
    exclude = ["content"]  # the file as uploaded: read by the import task, not by people


@admin.register(BankStatementLine)
class BankStatementLineAdmin(ReadOnlyAdmin):
    list_display = ["statement", "entry_reference", AMOUNT, "status", "payment_request"]
    list_filter = ["status"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    """Every Stripe event stored, with how its handling went and the error of a failed one."""

    list_display = ["stripe_event_id", "type", "status", "source", "received_at", "handled_at"]
    list_filter = ["status", "source", "livemode", "type"]
    search_fields = ["stripe_event_id", "object_id"]
    fields = [
        "stripe_event_id",
        "type",
        "object_id",
        "livemode",
        "source",
        "created_on_stripe_at",
        "received_at",
        "status",
        "handled_at",
        "error",
    ]
