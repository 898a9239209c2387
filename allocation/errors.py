"""The allocation app's domain error."""

from __future__ import annotations


class AllocationError(ValueError):
    """An allocation that cannot run as asked; the message says why."""


class DisbursementError(AllocationError):
    """A disbursement step that is refused (an approval, a batch, a payout
    change); the message says why, and the refusal is in the audit trail."""
