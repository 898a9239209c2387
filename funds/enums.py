from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# A pledge's choice of payment, defined below funds and re-exported here.
from contributors.enums import PaymentMethod as PaymentMethod  # noqa: PLC0414 -- re-export


class FundSettingKey(models.TextChoices):
    """The fund's settings. Each one changes only through an adopted governance
    decision, from a given date; every value keeps the decision that set it."""

    EARMARK_CAP_BP = "earmark_cap_bp", _("Earmark cap (basis points)")
    MANAGEMENT_FEE_BP = "management_fee_bp", _("Management fee (basis points)")
    PAYOUT_THRESHOLD_CENTS = "payout_threshold_cents", _("Payout threshold (cents)")
    PLEDGE_MIN_CENTS = "pledge_min_cents", _("Minimum pledge (cents)")
    PLEDGE_MAX_CENTS = "pledge_max_cents", _("Maximum pledge (cents)")


# Value in force when no decision has set one (allocation.md, the contributions issue).
FUND_SETTING_DEFAULTS: dict[str, int] = {
    FundSettingKey.EARMARK_CAP_BP: 5000,
    FundSettingKey.MANAGEMENT_FEE_BP: 0,
    FundSettingKey.PAYOUT_THRESHOLD_CENTS: 5000,
    FundSettingKey.PLEDGE_MIN_CENTS: 100,
    FundSettingKey.PLEDGE_MAX_CENTS: 100_000_000,
}

# Inclusive bounds a value must respect, whatever decision sets it.
FUND_SETTING_BOUNDS: dict[str, tuple[int, int]] = {
    FundSettingKey.EARMARK_CAP_BP: (0, 10_000),
    FundSettingKey.MANAGEMENT_FEE_BP: (0, 10_000),
    FundSettingKey.PAYOUT_THRESHOLD_CENTS: (0, 10**12),
    FundSettingKey.PLEDGE_MIN_CENTS: (1, 10**12),
    FundSettingKey.PLEDGE_MAX_CENTS: (1, 10**12),
}


class AccountKind(models.TextChoices):
    """The ledger's accounts. Debit-normal ones (money the fund holds, costs)
    have a positive balance when debited; credit-normal ones (what the fund
    owes to the pool, to projects, to its operations) when credited."""

    BANK = "bank", _("Bank account")
    STRIPE_CLEARING = "stripe_clearing", _("Stripe clearing")
    PROCESSOR_FEES = "processor_fees", _("Processor fees")
    UNALLOCATED = "unallocated", _("Unallocated receipts")
    POOL = "pool", _("Common pool")
    OPERATING = "operating", _("Fund operating account")
    PROJECT = "project", _("Project balance")
    PAYOUTS = "payouts", _("Payouts")


DEBIT_NORMAL_KINDS = frozenset(
    {AccountKind.BANK, AccountKind.STRIPE_CLEARING, AccountKind.PROCESSOR_FEES, AccountKind.PAYOUTS}
)


class JournalSource(models.TextChoices):
    """What an outside event booked in the ledger is; one journal per (source, external id)."""

    RECEIPT = "receipt", _("Receipt")
    ALLOCATION = "allocation", _("Allocation")
    PAYOUT = "payout", _("Payout")
    ADJUSTMENT = "adjustment", _("Adjustment")


STRIPE_METHODS = frozenset({PaymentMethod.CARD, PaymentMethod.SEPA_DEBIT})


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("Created")
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    REFUNDED = "refunded", _("Refunded")
    DISPUTED = "disputed", _("Disputed")


# The only moves a payment may make (docs/payments.md draws them).
PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.CREATED: frozenset(
        {PaymentStatus.PENDING, PaymentStatus.SUCCEEDED, PaymentStatus.FAILED}
    ),
    PaymentStatus.PENDING: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.FAILED}),
    PaymentStatus.SUCCEEDED: frozenset({PaymentStatus.REFUNDED, PaymentStatus.DISPUTED}),
    PaymentStatus.FAILED: frozenset(),
    PaymentStatus.REFUNDED: frozenset(),
    PaymentStatus.DISPUTED: frozenset({PaymentStatus.REFUNDED}),
}
PAYMENT_FINAL_STATUSES = frozenset({PaymentStatus.FAILED, PaymentStatus.REFUNDED})


class PaymentEventSource(models.TextChoices):
    SYSTEM = "system", _("The platform")
    STRIPE_WEBHOOK = "stripe_webhook", _("Stripe webhook")
    STRIPE_SYNC = "stripe_sync", _("Stripe reconciliation")
    BANK_STATEMENT = "bank_statement", _("Bank statement")
    MANUAL = "manual", _("Administrator")


class RefundKind(models.TextChoices):
    REFUND = "refund", _("Refund")
    DISPUTE = "dispute", _("Dispute (chargeback)")


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


# A refund or dispute either moved the money back or did not, once.
REFUND_TRANSITIONS: dict[str, frozenset[str]] = {
    RefundStatus.PENDING: frozenset({RefundStatus.SUCCEEDED, RefundStatus.FAILED}),
    RefundStatus.SUCCEEDED: frozenset(),
    RefundStatus.FAILED: frozenset(),
}


class PaymentRequestStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    PAID = "paid", pgettext_lazy("payment request status", "Paid")
    CANCELLED = "cancelled", pgettext_lazy("payment request status", "Cancelled")


PAYMENT_REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentRequestStatus.AWAITING_PAYMENT: frozenset(
        {PaymentRequestStatus.PAID, PaymentRequestStatus.CANCELLED}
    ),
    PaymentRequestStatus.PAID: frozenset(),
    PaymentRequestStatus.CANCELLED: frozenset(),
}


class StatementLineStatus(models.TextChoices):
    UNMATCHED = "unmatched", _("Unmatched")
    MATCHED = "matched", _("Matched")
    PARTIAL = "partial", _("Partial payment: needs a decision")
    OVERPAID = "overpaid", _("Over-payment: needs a decision")
    BOOKED = "booked", _("Booked")
    IGNORED = "ignored", _("Ignored")
    DEBIT = "debit", _("Outgoing (not a contribution)")
    RETURNED = "returned", _("An outgoing transfer returned (not a contribution)")
    REQUEST_CANCELLED = (
        "request_cancelled",
        _("For a cancelled payment request: needs a decision"),
    )


# A statement line gets its first status when imported (matching); then an
# incoming line is booked or ignored, once. An outgoing line stays as it is.
_LINE_DECISIONS = frozenset({StatementLineStatus.BOOKED, StatementLineStatus.IGNORED})
STATEMENT_LINE_TRANSITIONS: dict[str, frozenset[str]] = {
    StatementLineStatus.UNMATCHED: _LINE_DECISIONS,
    StatementLineStatus.MATCHED: _LINE_DECISIONS,
    StatementLineStatus.PARTIAL: _LINE_DECISIONS,
    StatementLineStatus.OVERPAID: _LINE_DECISIONS,
    StatementLineStatus.REQUEST_CANCELLED: _LINE_DECISIONS,
    StatementLineStatus.BOOKED: frozenset(),
    StatementLineStatus.IGNORED: frozenset(),
    StatementLineStatus.DEBIT: frozenset(),
    StatementLineStatus.RETURNED: frozenset(),
}
# The lines an administrator decides on (book or ignore).
STATEMENT_LINES_TO_DECIDE = frozenset(
    {
        StatementLineStatus.UNMATCHED,
        StatementLineStatus.PARTIAL,
        StatementLineStatus.OVERPAID,
        StatementLineStatus.REQUEST_CANCELLED,
    }
)


class BankStatementStatus(models.TextChoices):
    """An uploaded statement is recorded at once, then its lines are matched
    and booked by a task, in batches (`lines_done` of `lines_total`)."""

    RECEIVED = "received", _("Waiting to be processed")
    PROCESSING = "processing", _("Matching and booking")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


# The claim received -> processing is a compare-and-set by the worker; the
# ends go through the transition helper.
BANK_STATEMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    BankStatementStatus.RECEIVED: frozenset({BankStatementStatus.PROCESSING}),
    BankStatementStatus.PROCESSING: frozenset(
        {BankStatementStatus.DONE, BankStatementStatus.FAILED}
    ),
    BankStatementStatus.DONE: frozenset(),
    BankStatementStatus.FAILED: frozenset(),
}


class StripeEventStatus(models.TextChoices):
    """How the handling of a stored Stripe event went. A failed one is handled
    again when it comes again (Stripe's next delivery, the reconciliation)."""

    RECEIVED = "received", _("Received, not handled yet")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    IGNORED = "ignored", _("Ignored (nothing of ours)")
