"""Writes about contributors, by workflow: `people` (display names,
organisations, invitations, commitments) and `pledges`. Everything public is
imported here, so `contributors.services.<name>` is the one way to call them."""

from __future__ import annotations

from contributors.services.common import (
    COMMITMENT_BP,
    INVITATION_VALID_DAYS,
    MAX_EARMARKS,
    ContributionError,
)
from contributors.services.people import (
    commitment_create,
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_revoke,
    invitation_token_hash,
    organisation_create,
    person_contributor_for,
    user_set_display_name,
)
from contributors.services.pledges import (
    EarmarkInput,
    add_one_month,
    pledge_amend,
    pledge_cancel,
    pledge_create,
    pledge_pause,
    pledge_record_payment_failure,
    pledge_record_payment_success,
    pledge_resume,
    pledge_save_payment_method,
    pledge_schedule_next_charge,
    pledge_submit,
    pledge_transition,
    pledge_validate,
    pledges_record_payment_success,
    pledges_schedule_next_charge,
)
from contributors.services.sbom import sbom_upload

__all__ = [
    "COMMITMENT_BP",
    "INVITATION_VALID_DAYS",
    "MAX_EARMARKS",
    "ContributionError",
    "EarmarkInput",
    "add_one_month",
    "commitment_create",
    "invitation_accept",
    "invitation_create",
    "invitation_for_token",
    "invitation_revoke",
    "invitation_token_hash",
    "organisation_create",
    "person_contributor_for",
    "pledge_amend",
    "pledge_cancel",
    "pledge_create",
    "pledge_pause",
    "pledge_record_payment_failure",
    "pledge_record_payment_success",
    "pledge_resume",
    "pledge_save_payment_method",
    "pledge_schedule_next_charge",
    "pledge_submit",
    "pledge_transition",
    "pledge_validate",
    "pledges_record_payment_success",
    "pledges_schedule_next_charge",
    "sbom_upload",
    "user_set_display_name",
]
