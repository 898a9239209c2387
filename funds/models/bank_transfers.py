"""Bank transfers: numbered payment requests and CAMT.053 statements."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from funds.enums import (
    BankStatementStatus,
    PaymentRequestStatus,
    StatementLineStatus,
)
from funds.models.payments import Payment


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
    # What was booked against the request so far (a partial payment leaves the rest due).
    received_cents = models.BigIntegerField(_("received (cents)"), default=0)
    # Payments booked for the request besides its own (the rest of a partial payment).
    extra_payments = models.ManyToManyField(
        Payment, verbose_name=_("other payments"), blank=True, related_name="booked_for_requests"
    )
    # An administrator accepted a different amount (less as full payment, or more).
    difference_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("different amount accepted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    difference_accepted_at = models.DateTimeField(
        _("different amount accepted at"), null=True, blank=True
    )
    difference_reason = models.CharField(
        _("reason for the different amount"), max_length=500, blank=True
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

    @property
    def remaining_cents(self) -> int:
        """What is still due (never below zero)."""
        return max(self.amount_cents - self.received_cents, 0)


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
    # The file as uploaded: the import task reads its lines from it, in batches.
    content = models.BinaryField(_("content"), editable=False, default=b"")
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=BankStatementStatus.choices,
        default=BankStatementStatus.RECEIVED,
    )
    lines_total = models.PositiveIntegerField(_("lines"), default=0)
    lines_done = models.PositiveIntegerField(_("lines processed"), default=0)
    error = models.TextField(_("error"), blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

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
    # The fund's own transfers carry their id here (allocation matches its payouts).
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35, blank=True, db_index=True)
    is_return = models.BooleanField(_("returned or reversed transfer"), default=False)
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
