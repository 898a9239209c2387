"""The contributors app's one base class for its domain errors."""

from __future__ import annotations


class ContributorsError(Exception):
    """A contributors action refused; every domain error of the app derives from it."""
