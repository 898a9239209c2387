"""The projects app's one base class for its domain errors."""

from __future__ import annotations


class ProjectsError(Exception):
    """A projects action refused; every domain error of the app derives from it."""
