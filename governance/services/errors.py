"""The governance app's shared refusal messages (its domain error lives in
`governance.errors` and is re-exported here and from `governance.services`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from governance.errors import GovernanceError

__all__ = ["RECUSED_MOTION", "RECUSED_POINTS", "WEIGHTS_REFUSED", "GovernanceError"]

WEIGHTS_REFUSED = _(
    "The weights must sum to 10000 basis points and the commoners must weigh more than half."
)
RECUSED_MOTION = _(
    "You are recused from this motion: it concerns a project you have an interest in."
)
RECUSED_POINTS = _("You are recused from a project you placed points on: you have an interest.")
