"""allocation: the monthly runs, the receipts each took, and what each
destination got (allocation.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from allocation.enums import DestinationStage, PayoutStatus, RunStage, RunStatus


class AllocationRun(models.Model):
    """One calendar month (Europe/Paris) of the fund: `[period_start_at,
    period_end_at)`, the settings and the round in force when it started, and
    its totals. Unique per period: starting a month again finds this row."""

    period = models.CharField(_("period"), max_length=7, unique=True)  # "2026-03"
    period_start_at = models.DateTimeField(_("period start"))
    period_end_at = models.DateTimeField(_("period end"))
    status = models.CharField(
        _("status"), max_length=20, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    stage = models.CharField(
        _("stage"), max_length=20, choices=RunStage.choices, default=RunStage.STARTED
    )
    fee_bp = models.PositiveIntegerField(_("management fee (bp)"))
    earmark_cap_bp = models.PositiveIntegerField(_("earmark cap (bp)"))
    payout_threshold_cents = models.BigIntegerField(_("payout threshold (cents)"))
    round_ballot = models.ForeignKey(
        "governance.Ballot",
        verbose_name=_("pool allocation round"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocation_runs",
    )
    round_decision_number = models.CharField(_("decision number"), max_length=20, blank=True)
    # {"<project id>": "numerator/denominator"}: the round's exact fractions of
    # the projects eligible at the run (the others' stay in the pool).
    round_fractions = models.JSONField(_("pool fractions"), default=dict, blank=True)
    eligible_project_ids = models.JSONField(_("eligible projects"), default=list, blank=True)
    receipts_count = models.PositiveIntegerField(_("receipts"), default=0)
    net_cents = models.BigIntegerField(_("net received (cents)"), default=0)
    fee_cents = models.BigIntegerField(_("fee (cents)"), default=0)
    earmarked_cents = models.BigIntegerField(_("earmarked (cents)"), default=0)
    pool_in_cents = models.BigIntegerField(_("to the pool (cents)"), default=0)
    pool_carried_in_cents = models.BigIntegerField(_("pool carried in (cents)"), default=0)
    pool_shared_cents = models.BigIntegerField(_("pool shared (cents)"), default=0)
    pool_carried_out_cents = models.BigIntegerField(_("pool carried out (cents)"), default=0)
    document = models.JSONField(_("published document"), null=True, blank=True)
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64, blank=True)
    started_at = models.DateTimeField(_("started at"))
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("allocation run")
        verbose_name_plural = _("allocation runs")
        ordering = ["-period_start_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end_at__gt=models.F("period_start_at")),
                name="allocation_run_period_forward",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=RunStatus.COMPUTED) | ~models.Q(document_sha256=""),
                name="allocation_run_computed_is_published",
            ),
        ]

    def __str__(self) -> str:
        return f"allocation {self.period} ({self.status})"


class RunReceipt(models.Model):
    """A receipt taken by a run: each receipt is allocated exactly once (the
    receipt is the primary key).

    No foreign-key constraint in the database: checking one locks each
    referenced receipt row (FOR KEY SHARE) and queues a check per row, which
    cost 12 s at the commit of a run taking a million receipts. Receipts and
    runs are never deleted, and on PostgreSQL triggers refuse it while a
    reference exists, and refuse any change to these rows (migration 0003).
    A run's rows are written together, in ascending run order, so on
    PostgreSQL they are found by a BRIN index on the run (a few pages, and
    nearly free to keep), where a B-tree cost a second per million rows taken."""

    receipt = models.OneToOneField(
        "funds.Receipt",
        verbose_name=_("receipt"),
        primary_key=True,
        serialize=False,
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="allocation",
    )
    run = models.ForeignKey(
        AllocationRun,
        verbose_name=_("run"),
        db_constraint=False,
        db_index=False,  # a BRIN index on PostgreSQL (migration 0003)
        on_delete=models.DO_NOTHING,
        related_name="taken",
    )

    class Meta:
        verbose_name = _("receipt taken by a run")
        verbose_name_plural = _("receipts taken by runs")

    def __str__(self) -> str:
        return f"run {self.run_id} took receipt {self.receipt_id}"


class RunDestination(models.Model):
    """What one destination (the fee, the pool or a project) got at one of the
    run's two roundings: its exact units, its cents and its remainder rank."""

    run = models.ForeignKey(
        AllocationRun,
        verbose_name=_("run"),
        on_delete=models.CASCADE,
        related_name="destinations",
    )
    stage = models.CharField(_("stage"), max_length=10, choices=DestinationStage.choices)
    destination = models.CharField(_("destination"), max_length=30)  # fee, pool, project:12
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocations",
    )
    # Exact amounts: units of 10**-8 cent at the first rounding; at the pool's,
    # the exact share as "numerator/denominator" cents.
    exact = models.CharField(_("exact amount"), max_length=80)
    cents = models.BigIntegerField(_("cents"))
    remainder_rank = models.PositiveIntegerField(_("remainder rank"))

    class Meta:
        verbose_name = _("allocated amount")
        verbose_name_plural = _("allocated amounts")
        ordering = ["run", "stage", "remainder_rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "stage", "destination"], name="allocation_destination_once"
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id} {self.stage} {self.destination}: {self.cents}"


class Approval(models.Model):
    """One administrator's approval of a run's disbursement report, bound to the
    report's content hash as they saw it (four eyes: two distinct ones create
    the batch). A change of the report afterwards voids it, saying what changed."""

    run = models.ForeignKey(
        AllocationRun, verbose_name=_("run"), on_delete=models.PROTECT, related_name="approvals"
    )
    administrator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("administrator"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    content_sha256 = models.CharField(_("report SHA-256 approved"), max_length=64)
    # The report as approved (its canonical content), to say what changed later.
    report = models.JSONField(_("report approved"), default=dict)
    approved_at = models.DateTimeField(_("approved at"))
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.TextField(_("why it was voided"), blank=True)
    # [{"project": name, "field": ..., "before": ..., "after": ...}], shown translated.
    void_changes = models.JSONField(_("changes that voided it"), default=list, blank=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["run", "approved_at", "id"]
        constraints = [
            # The same administrator never holds two live approvals of one run,
            # whatever sessions they use at once.
            models.UniqueConstraint(
                fields=["run", "administrator"],
                condition=models.Q(voided_at__isnull=True),
                name="approval_one_live_per_administrator",
            ),
        ]

    def __str__(self) -> str:
        state = "voided" if self.voided_at else "live"
        return f"approval #{self.pk} of {self.run_id} by {self.administrator_id} ({state})"


class PayoutBatch(models.Model):
    """The payouts that a run's approved report creates: one batch per run, its
    report frozen as approved, and the SEPA credit transfer file made from it."""

    run = models.OneToOneField(
        AllocationRun, verbose_name=_("run"), on_delete=models.PROTECT, related_name="batch"
    )
    content_sha256 = models.CharField(_("report SHA-256"), max_length=64)
    report = models.JSONField(_("report"), default=dict)
    total_cents = models.BigIntegerField(_("total (cents)"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("payout batch")
        verbose_name_plural = _("payout batches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"payout batch #{self.pk} ({self.run_id})"

    @property
    def message_id(self) -> str:
        """The SEPA file's message id: the bank refuses a second file with it."""
        return f"LIB-BATCH-{self.pk}"


class Payout(models.Model):
    """One project's payout of its whole balance in a batch, with the bank
    details as they were verified when the batch was made."""

    batch = models.ForeignKey(
        PayoutBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="payouts"
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="payouts",
    )
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    holder_name = models.CharField(_("account holder"), max_length=200)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11)
    status = models.CharField(
        _("status"), max_length=20, choices=PayoutStatus.choices, default=PayoutStatus.PENDING
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)
    # The bank statement's lines that showed it debited, then returned.
    debit_line = models.OneToOneField(
        "funds.BankStatementLine",
        verbose_name=_("debit on the statement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payout_debited",
    )
    return_line = models.OneToOneField(
        "funds.BankStatementLine",
        verbose_name=_("return on the statement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payout_returned",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["batch", "project__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "project"], name="payout_once_per_batch"),
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="payout_amount_gt_0"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PayoutStatus.values), name="payout_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.end_to_end_id} {self.project_id}: {self.amount_cents} ({self.status})"

    @property
    def end_to_end_id(self) -> str:
        """The id the bank carries from our file to its statement."""
        return f"{PAYOUT_PREFIX}{self.pk}"


PAYOUT_PREFIX = "LIB-PAYOUT-"
