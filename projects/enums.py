from django.db import models
from django.utils.translation import gettext_lazy as _


class ProjectStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ADMITTED = "admitted", _("Admitted")
    SUSPENDED = "suspended", _("Suspended")
    ARCHIVED = "archived", _("Archived")


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
