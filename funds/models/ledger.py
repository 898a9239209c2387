"""The double-entry ledger: accounts, journals and their legs."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from funds.enums import (
    AccountKind,
    JournalSource,
)


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
        Journal,
        verbose_name=_("journal"),
        on_delete=models.PROTECT,
        related_name="legs",
        db_index=False,  # the (journal, id) index below serves it
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="legs"
    )
    amount_cents = models.BigIntegerField(_("amount (cents)"))

    class Meta:
        verbose_name = _("journal leg")
        verbose_name_plural = _("journal legs")
        ordering = ["journal_id", "id"]
        # A journal's legs in order: the balance trigger finds a journal's
        # last leg in one probe (migration 0009).
        indexes = [models.Index(fields=["journal", "id"], name="funds_leg_journal_id_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount_cents=0), name="journal_leg_amount_not_zero"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.journal_id}/{self.account_id}: {self.amount_cents} (#{self.pk})"


class _ProjectAmounts(models.Model):
    """What the ledger moved on a project's balance, by kind (`ProjectMonthTotal`
    per month, `ProjectTotal` since the fund began)."""

    # credits to the balance, payouts given back aside
    received_cents = models.BigIntegerField(_("received (cents)"), default=0)
    # allocated from the receipts' earmarks, net
    earmarked_cents = models.BigIntegerField(_("earmarked (cents)"), default=0)
    # shared out of the common pool, net
    pool_cents = models.BigIntegerField(_("from the pool (cents)"), default=0)
    # payouts made, net of the returned ones
    paid_cents = models.BigIntegerField(_("paid out (cents)"), default=0)

    class Meta:
        abstract = True


class ProjectMonthTotal(_ProjectAmounts):
    """What the ledger moved on one project's balance in one calendar month
    (Europe/Paris), kept by `journal_post` in the same transaction as the legs
    it sums, so that pages read totals without summing history; `check_books`
    compares it with the legs. Derived data: never written by hand."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="month_totals",
        db_index=False,  # the unique (project, month) index serves it
    )
    month = models.DateField(_("month"))
    # what the month added to the balance
    balance_cents = models.BigIntegerField(_("balance change (cents)"), default=0)

    class Meta:
        verbose_name = _("project month total")
        verbose_name_plural = _("project month totals")
        ordering = ["project_id", "month"]
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="project_month_total_once"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.month:%Y-%m}"


class ProjectTotal(_ProjectAmounts):
    """The sum of a project's `ProjectMonthTotal` rows since the fund began, kept by
    `journal_post` in the same statement's transaction, so that the catalogue's
    "most funded" sort and a project's balance read one row instead of adding up
    every month; `check_books` compares it with the months. Derived data: never
    written by hand."""

    project = models.OneToOneField(
        "projects.Project",
        verbose_name=_("project"),
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="money_total",
    )
    balance_cents = models.BigIntegerField(_("balance (cents)"), default=0)

    class Meta:
        verbose_name = _("project total")
        verbose_name_plural = _("project totals")
        ordering = ["project_id"]
        indexes = [
            # The catalogue's "most funded" order: a page reads its rows from here
            # (`funds.selectors.project_funded_order`), not every project sorted.
            models.Index(fields=["received_cents"], name="project_total_by_received"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.received_cents} received"


# --- Payments -----------------------------------------------------------------
