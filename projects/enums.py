from django.db import models
from django.utils.translation import gettext_lazy as _


class ProjectStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ADMITTED = "admitted", _("Admitted")
    SUSPENDED = "suspended", _("Suspended")
    ARCHIVED = "archived", _("Archived")


# The source of the projects imported from the French State's SILL (2020).
SILL_SOURCE = "sill-2020"

# Only these may receive earmarks and pool money.
FUNDABLE_STATUSES = frozenset({ProjectStatus.ADMITTED})


class MaintainerRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    MAINTAINER = "maintainer", _("Maintainer")


class PayoutAccountStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("Awaiting verification")
    VERIFIED = "verified", _("Verified")


class FetchStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Fetching")
    SUCCEEDED = "succeeded", _("Done")
    FAILED = "failed", _("Failed")


# A fetch in one of these is over; its page stops refreshing.
FETCH_FINAL_STATUSES = frozenset({FetchStatus.SUCCEEDED, FetchStatus.FAILED})


class ClaimStatus(models.TextChoices):
    OPEN = "open", _("Awaiting proof")
    REVIEW = "review", _("Awaiting an administrator's review")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class ClaimMethod(models.TextChoices):
    """How a claim was proven."""

    MANIFEST = "manifest", _("Token in the funding.json manifest")
    WELL_KNOWN = "well_known", _("Token at the project's website or repository")
    REVIEW = "review", _("Review by an administrator")


class IdentifierKind(models.TextChoices):
    """How a project is recognised in a Software Bill of Materials."""

    PURL = "purl", _("Package URL")
    PURL_PREFIX = "purl_prefix", _("Package URL prefix")
    REPOSITORY = "repository", _("Repository")


class IdentifierSource(models.TextChoices):
    MAINTAINER = "maintainer", _("Declared by a maintainer")
    REPOSITORY_URL = "repository_url", _("The project's repository address")
