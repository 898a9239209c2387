"""The allocation app's domain error."""

from __future__ import annotations


class AllocationError(ValueError):
    """An allocation that cannot run as asked; the message says why."""
