from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from funds.enums import (
    AccountKind,
    FundSettingKey,
    JournalSource,
    PaymentEventSource,
    PaymentMethod,
    PaymentRequestStatus,
    PaymentStatus,
    RefundKind,
    RefundStatus,
    StatementLineStatus,
    StripeEventStatus,
)


class FundSettingValue(models.Model):
    """One value of a fund setting, in force from `effective_at` until a later
    value's `effective_at`. Append-only: a change is a new row."""

    key = models.CharField(_("setting"), max_length=50, choices=FundSettingKey.choices)
    value = models.BigIntegerField(_("value"))
    effective_at = models.DateTimeField(_("in force from"))
    decision_reference = models.CharField(
        _("decision"),
        max_length=200,
        help_text=_("The adopted governance decision that set this value."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fund setting value")
        verbose_name_plural = _("fund setting values")
        ordering = ["key", "-effective_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "effective_at"], name="fund_setting_one_value_per_instant"
            ),
            models.CheckConstraint(
                condition=models.Q(key__in=FundSettingKey.values), name="fund_setting_key_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value} from {self.effective_at:%Y-%m-%d %H:%M} ({self.pk})"


# --- The ledger ---------------------------------------------------------------


class Account(models.Model):
    """A ledger account: one of each fund-wide kind, and one balance per project."""

    kind = models.CharField(_("kind"), max_length=30, choices=AccountKind.choices)
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["kind", "project_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=AccountKind.values), name="account_kind_valid"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind=AccountKind.PROJECT, project__isnull=False)
                    | (~models.Q(kind=AccountKind.PROJECT) & models.Q(project__isnull=True))
                ),
                name="account_project_iff_project_kind",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(project__isnull=True),
                name="account_one_per_fund_kind",
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(project__isnull=False),
                name="account_one_per_project",
            ),
        ]

    def __str__(self) -> str:
        if self.project_id is not None:
            return f"{self.kind}:{self.project_id}"
        return str(self.kind)


class Journal(models.Model):
    """One booked outside event: legs that sum to zero. Append-only."""

    source = models.CharField(_("source"), max_length=30, choices=JournalSource.choices)
    external_id = models.CharField(_("external id"), max_length=200)
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    booked_at = models.DateTimeField(_("booked at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("journal")
        verbose_name_plural = _("journals")
        ordering = ["booked_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="journal_one_per_source_event"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id} (#{self.pk})"


class JournalLeg(models.Model):
    """One side of a journal: positive is a debit, negative a credit (cents)."""

    journal = models.ForeignKey(
        Journal, verbose_name=_("journal"), on_delete=models.PROTECT, related_name="legs"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="legs"
    )
    amount_cents = models.BigIntegerField(_("amount (cents)"))

    class Meta:
        verbose_name = _("journal leg")
        verbose_name_plural = _("journal legs")
        ordering = ["journal_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount_cents=0), name="journal_leg_amount_not_zero"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.journal_id}/{self.account_id}: {self.amount_cents} (#{self.pk})"


# --- Payments -----------------------------------------------------------------


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


class PaymentRequestCounter(models.Model):
    """The last payment request number given in a year (locked to number without gaps)."""

    year = models.PositiveIntegerField(_("year"), unique=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("payment request counter")
        verbose_name_plural = _("payment request counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class PaymentRequest(models.Model):
    """An invoice-like request to pay a pledge by bank transfer, with a unique
    structured reference (ISO 11649) the payer quotes."""

    pledge = models.ForeignKey(
        "contributors.Pledge",
        verbose_name=_("pledge"),
        on_delete=models.PROTECT,
        related_name="payment_requests",
    )
    payment = models.OneToOneField(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="payment_request"
    )
    year = models.PositiveIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("number in the year"))
    number = models.CharField(_("number"), max_length=20, unique=True)
    reference = models.CharField(_("payment reference"), max_length=35, unique=True)
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PaymentRequestStatus.choices,
        default=PaymentRequestStatus.AWAITING_PAYMENT,
    )
    issued_at = models.DateTimeField(_("issued at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("payment request")
        verbose_name_plural = _("payment requests")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "sequence"], name="payment_request_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="payment_request_amount_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class BankStatement(models.Model):
    """An uploaded CAMT.053 statement; one per (account, statement id)."""

    account_iban = models.CharField(_("account IBAN"), max_length=34)
    statement_id = models.CharField(_("statement id"), max_length=140)
    message_id = models.CharField(_("message id"), max_length=140, blank=True)
    created_on_bank_at = models.DateTimeField(_("created by the bank at"), null=True, blank=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account_iban", "statement_id"], name="bank_statement_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_iban} {self.statement_id}"


class BankStatementLine(models.Model):
    """One entry of a statement; booked at most once."""

    statement = models.ForeignKey(
        BankStatement, verbose_name=_("statement"), on_delete=models.PROTECT, related_name="lines"
    )
    entry_reference = models.CharField(_("bank entry reference"), max_length=140)
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    currency = models.CharField(_("currency"), max_length=3)
    is_credit = models.BooleanField(_("credit"))
    booking_date = models.DateField(_("booking date"), null=True, blank=True)
    debtor_name = models.CharField(_("debtor"), max_length=140, blank=True)
    remittance_information = models.TextField(_("remittance information"), blank=True)
    reference_found = models.CharField(_("reference found"), max_length=35, blank=True)
    payment_request = models.ForeignKey(
        PaymentRequest,
        verbose_name=_("payment request"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="statement_lines",
    )
    status = models.CharField(_("status"), max_length=20, choices=StatementLineStatus.choices)
    booked_payment = models.OneToOneField(
        Payment,
        verbose_name=_("booked as"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="statement_line",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        ordering = ["statement_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "entry_reference"], name="bank_statement_line_once"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="bank_statement_line_amount_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}/{self.entry_reference}: {self.amount_cents}"


# --- Stripe -------------------------------------------------------------------


class StripeEvent(models.Model):
    """A Stripe event, stored once (unique id) in the same transaction as its
    effects, with how its handling went (and the error of a failed one)."""

    stripe_event_id = models.CharField(_("Stripe event"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100)
    object_id = models.CharField(_("Stripe object"), max_length=255, blank=True)
    livemode = models.BooleanField(_("live mode"), default=False)
    source = models.CharField(_("source"), max_length=20, choices=PaymentEventSource.choices)
    created_on_stripe_at = models.DateTimeField(_("created on Stripe at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=StripeEventStatus.choices,
        default=StripeEventStatus.RECEIVED,
    )
    error = models.TextField(_("error"), blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.stripe_event_id} {self.type}"
