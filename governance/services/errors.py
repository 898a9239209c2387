"""The governance app's domain error and its shared messages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class GovernanceError(ValueError):
    """A governance action refused; the message says why, in the user's language."""


WEIGHTS_REFUSED = _(
    "The weights must sum to 10000 basis points and the commoners must weigh more than half."
)
RECUSED_MOTION = _(
    "You are recused from this motion: it concerns a project you have an interest in."
)
RECUSED_POINTS = _("You are recused from a project you placed points on: you have an interest.")
