"""The governance app's one base class for its domain errors (plain Python, so
that `governance.tally` can use it without Django)."""

from __future__ import annotations


class GovernanceError(ValueError):
    """A governance action refused; the message says why, in the user's language.
    Every domain error of the app derives from it."""
