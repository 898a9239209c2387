"""allocation: statuses and stages of the monthly runs."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# A run's period, as URLs, forms and commands take it: "2026-03".
MONTH_REGEX = r"[0-9]{4}-(?:0[1-9]|1[0-2])"


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    COMPUTED = "computed", _("Computed")


RUN_TRANSITIONS: dict[str, frozenset[str]] = {
    RunStatus.RUNNING: frozenset({RunStatus.COMPUTED}),
    RunStatus.COMPUTED: frozenset(),
}


class RunStage(models.TextChoices):
    """Where a running allocation is, in order (shown while it runs)."""

    STARTED = "started", _("Started")
    RECEIPTS = "receipts", _("Receipts taken")
    EARMARKS = "earmarks", _("Earmarks and fee computed")
    POOL = "pool", _("Pool shared")
    LEDGER = "ledger", _("Booked in the ledger")
    PUBLISHED = "published", _("Published")


class DestinationStage(models.TextChoices):
    """The two roundings of allocation.md: receipts to destinations, then the pool."""

    RECEIPTS = "receipts", _("Receipts to the fee, earmarks and the pool")
    POOL = "pool", _("The pool shared by the round")


class PayoutStatus(models.TextChoices):
    """A payout of a batch: written in the SEPA file (pending), handed to the bank
    (sent), seen debited on the fund's statement (paid) or returned by the bank
    (failed, which books the money back on the project's balance)."""

    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent to the bank")
    PAID = "paid", pgettext_lazy("payout status", "Paid")
    FAILED = "failed", _("Failed (returned)")


# A bank may return a transfer after it was debited: paid -> failed is allowed.
PAYOUT_TRANSITIONS: dict[str, frozenset[str]] = {
    PayoutStatus.PENDING: frozenset({PayoutStatus.SENT, PayoutStatus.FAILED}),
    PayoutStatus.SENT: frozenset({PayoutStatus.PAID, PayoutStatus.FAILED}),
    PayoutStatus.PAID: frozenset({PayoutStatus.FAILED}),
    PayoutStatus.FAILED: frozenset(),
}


class PayoutSource(models.TextChoices):
    """Who recorded a payout's change of status."""

    MANUAL = "manual", _("Administrator")
    BANK_STATEMENT = "bank_statement", _("Bank statement")
