"""Writes and workflows of governance, by workflow: colleges and mandates, ballots,
votes, emails. The public names are re-exported here."""

from governance.errors import GovernanceError
from governance.services.ballots import (
    ALLOWED_TRANSITIONS,
    ballot_bundle,
    ballot_close,
    ballot_create,
    ballot_open,
    ballot_release,
    ballot_reminders_send,
    ballot_transition,
    ballot_update,
    ballots_close_due,
    ballots_open_due,
    vote_rows,
)
from governance.services.colleges import (
    college_defaults_ensure,
    college_update,
    college_weights_set,
    mandate_create,
    mandate_end,
    meeting_record,
)
from governance.services.errors import (
    RECUSED_MOTION,
    RECUSED_POINTS,
    WEIGHTS_REFUSED,
)
from governance.services.recusals import interest_declare, recusal_apply_to_open_ballots
from governance.services.votes import proxy_give, vote_cast

__all__ = [
    "ALLOWED_TRANSITIONS",
    "RECUSED_MOTION",
    "RECUSED_POINTS",
    "WEIGHTS_REFUSED",
    "GovernanceError",
    "ballot_bundle",
    "ballot_close",
    "ballot_create",
    "ballot_open",
    "ballot_release",
    "ballot_reminders_send",
    "ballot_transition",
    "ballot_update",
    "ballots_close_due",
    "ballots_open_due",
    "college_defaults_ensure",
    "college_update",
    "college_weights_set",
    "interest_declare",
    "mandate_create",
    "mandate_end",
    "meeting_record",
    "proxy_give",
    "recusal_apply_to_open_ballots",
    "vote_cast",
    "vote_rows",
]
