"""The funds app's one base class for its domain errors."""

from __future__ import annotations


class FundsError(Exception):
    """A funds action refused; every domain error of the app derives from it."""
