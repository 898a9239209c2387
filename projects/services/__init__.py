"""Writes of the catalogue, by workflow: the SILL import, projects' status and
edits, payout accounts, funding.json manifests and claims. The public names are
re-exported here."""

from projects.services.catalogue import (
    EDITABLE_FIELDS,
    PROJECT_TRANSITIONS,
    ProjectEditError,
    ProjectTransitionError,
    project_admit,
    project_archive,
    project_suspend,
    project_transition,
    project_update,
)
from projects.services.manifests import (
    CLAIM_TOKEN_PREFIX,
    FUNDING_JSON_SOURCE,
    WELL_KNOWN_MAX_BYTES,
    WELL_KNOWN_MAX_LINES,
    ClaimError,
    ManifestImportResult,
    funding_manifest_fetch,
    funding_manifest_import,
    project_claim_start,
    project_claim_verify,
)
from projects.services.payout_accounts import (
    PAYOUT_ACCOUNT_TRANSITIONS,
    PayoutAccountError,
    payout_account_save,
    payout_account_transition,
    payout_account_verify,
)
from projects.services.sill import (
    SILL_CSV,
    SILL_GROUPS,
    SILL_REQUIRED_COLUMNS,
    SILL_SOURCE,
    ImportResult,
    SillImportError,
    sill_import,
    unique_slug,
)

__all__ = [
    "CLAIM_TOKEN_PREFIX",
    "EDITABLE_FIELDS",
    "FUNDING_JSON_SOURCE",
    "PAYOUT_ACCOUNT_TRANSITIONS",
    "PROJECT_TRANSITIONS",
    "SILL_CSV",
    "SILL_GROUPS",
    "SILL_REQUIRED_COLUMNS",
    "SILL_SOURCE",
    "WELL_KNOWN_MAX_BYTES",
    "WELL_KNOWN_MAX_LINES",
    "ClaimError",
    "ImportResult",
    "ManifestImportResult",
    "PayoutAccountError",
    "ProjectEditError",
    "ProjectTransitionError",
    "SillImportError",
    "funding_manifest_fetch",
    "funding_manifest_import",
    "payout_account_save",
    "payout_account_transition",
    "payout_account_verify",
    "project_admit",
    "project_archive",
    "project_claim_start",
    "project_claim_verify",
    "project_suspend",
    "project_transition",
    "project_update",
    "sill_import",
    "unique_slug",
]
