"""Payments, their events, refunds and receipts (with their earmark lines)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from funds.enums import (
    PaymentEventSource,
    PaymentMethod,
    PaymentStatus,
    RefundKind,
    RefundStatus,
)
from funds.models.ledger import Journal


class Payment(models.Model):
    """One attempt to collect money for a pledge (card, SEPA debit or bank
    transfer), with its own state machine. Only `payment_transition` changes
    `status`."""

    pledge = models.ForeignKey(
        "contributors.Pledge",
        verbose_name=_("pledge"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.CREATED
    )
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    # For a monthly pledge: the month this attempt charges (its first day), and
    # which attempt of that month it is; unique together so a month is never
    # charged by two live attempts with the same number.
    period_date = models.DateField(_("month charged"), null=True, blank=True)
    attempt = models.PositiveIntegerField(_("attempt"), default=1)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    stripe_payment_intent_id = models.CharField(
        _("Stripe PaymentIntent"), max_length=255, null=True, blank=True, unique=True
    )
    failure_code = models.CharField(_("failure code"), max_length=100, blank=True)
    failure_message = models.CharField(_("failure message"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="payment_amount_gt_0"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PaymentStatus.values), name="payment_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(method__in=PaymentMethod.values), name="payment_method_valid"
            ),
            models.UniqueConstraint(
                fields=["pledge", "period_date", "attempt"],
                condition=models.Q(period_date__isnull=False),
                name="payment_one_attempt_number_per_month",
            ),
        ]
        indexes = [
            # The daily renewal run's retry scan reads failed monthly charges
            # only: a few rows, however many months were ever charged.
            models.Index(
                fields=["pledge", "period_date"],
                condition=models.Q(status="failed", period_date__isnull=False),
                name="payment_failed_months",
            ),
        ]

    def __str__(self) -> str:
        return f"payment #{self.pk} {self.method} {self.amount_cents} {self.currency} {self.status}"


class PaymentEvent(models.Model):
    """A payment reached a status: one row per (payment, status), ever."""

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="events"
    )
    status = models.CharField(_("status"), max_length=20, choices=PaymentStatus.choices)
    at = models.DateTimeField(_("at"))
    source = models.CharField(_("source"), max_length=20, choices=PaymentEventSource.choices)
    stripe_event_id = models.CharField(_("Stripe event"), max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ["payment_id", "at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "status"], name="payment_event_one_per_status"
            ),
        ]

    def __str__(self) -> str:
        return f"payment #{self.payment_id} -> {self.status} ({self.pk})"


class Refund(models.Model):
    """Money going back for a payment: a refund, or a dispute (chargeback).
    Shown to administrators for review; a succeeded one is a negative receipt."""

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RefundKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    stripe_refund_id = models.CharField(
        _("Stripe refund"), max_length=255, null=True, blank=True, unique=True
    )
    stripe_dispute_id = models.CharField(
        _("Stripe dispute"), max_length=255, null=True, blank=True, unique=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("refund or dispute")
        verbose_name_plural = _("refunds and disputes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="refund_amount_gt_0"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=RefundKind.values), name="refund_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} of payment #{self.payment_id}: {self.amount_cents}"


class Receipt(models.Model):
    """Money the fund actually received (or, negative, gave back): gross,
    processor fee and net cents, and the pledge's earmarks when it was recorded."""

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="receipts"
    )
    refund = models.OneToOneField(
        Refund,
        verbose_name=_("refund"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receipt",
    )
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
    )
    pledge = models.ForeignKey(
        "contributors.Pledge",
        verbose_name=_("pledge"),
        on_delete=models.PROTECT,
        related_name="receipts",
    )
    contributor = models.ForeignKey(
        "contributors.Contributor",
        verbose_name=_("contributor"),
        on_delete=models.PROTECT,
        related_name="receipts",
    )
    gross_cents = models.BigIntegerField(_("gross (cents)"))
    processor_fee_cents = models.BigIntegerField(_("processor fee (cents)"))
    net_cents = models.BigIntegerField(_("net (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    received_at = models.DateTimeField(_("received at"))
    # [{"project_id": 12, "share_bp": 3000}, ...] as the pledge stood then.
    earmarks = models.JSONField(_("earmarks snapshot"), default=list, blank=True)
    journal = models.OneToOneField(
        Journal, verbose_name=_("journal"), on_delete=models.PROTECT, related_name="receipt"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    net_cents=models.F("gross_cents") - models.F("processor_fee_cents")
                ),
                name="receipt_net_is_gross_minus_fee",
            ),
            models.CheckConstraint(
                condition=~models.Q(gross_cents=0), name="receipt_gross_not_zero"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(refund__isnull=True, gross_cents__gt=0)
                    | models.Q(refund__isnull=False, gross_cents__lt=0)
                ),
                name="receipt_sign_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["payment"],
                condition=models.Q(refund__isnull=True),
                name="receipt_one_per_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"receipt #{self.pk}: {self.gross_cents} {self.currency}"


# --- Bank transfers -----------------------------------------------------------


class ReceiptEarmark(models.Model):
    """One line of a receipt's earmarks snapshot, as the pledge stood when the
    receipt was recorded (a refund carries its original's): the normalised form
    that the monthly allocation sums in the database."""

    receipt = models.ForeignKey(
        Receipt,
        verbose_name=_("receipt"),
        on_delete=models.PROTECT,
        related_name="earmark_lines",
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="receipt_earmarks",
    )
    share_bp = models.PositiveIntegerField(_("share (basis points)"))

    class Meta:
        verbose_name = _("receipt earmark")
        verbose_name_plural = _("receipt earmarks")
        constraints = [
            models.UniqueConstraint(fields=["receipt", "project"], name="receipt_earmark_once"),
            models.CheckConstraint(
                condition=models.Q(share_bp__gte=1, share_bp__lte=10_000),
                name="receipt_earmark_share_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"receipt {self.receipt_id}: project {self.project_id} {self.share_bp} bp"
