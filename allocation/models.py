"""allocation: the monthly runs, the receipts each took, and what each
destination got (allocation.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from allocation.enums import DestinationStage, RunStage, RunStatus


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
    """A receipt taken by a run: each receipt is allocated exactly once."""

    run = models.ForeignKey(
        AllocationRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="taken"
    )
    receipt = models.OneToOneField(
        "funds.Receipt",
        verbose_name=_("receipt"),
        on_delete=models.PROTECT,
        related_name="allocation",
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
