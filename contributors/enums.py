from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ContributorKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class Visibility(models.TextChoices):
    """How a contributor appears publicly."""

    NAMED = "named", _("By name")
    ANONYMOUS = "anonymous", _("Anonymously")
    SECRET = "secret", _("Not at all")


class OrganisationKind(models.TextChoices):
    STATE = "state", _("State (central administration)")
    LOCAL_AUTHORITY = "local_authority", _("Local authority")
    PUBLIC_ESTABLISHMENT = "public_establishment", _("Public establishment")
    HOSPITAL = "hospital", _("Public hospital")
    COMPANY = "company", _("Company")
    ASSOCIATION = "association", _("Association")
    FOUNDATION = "foundation", _("Foundation")


PUBLIC_BODY_KINDS = frozenset(
    {
        OrganisationKind.STATE,
        OrganisationKind.LOCAL_AUTHORITY,
        OrganisationKind.PUBLIC_ESTABLISHMENT,
        OrganisationKind.HOSPITAL,
    }
)


class MembershipRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    MEMBER = "member", pgettext_lazy("organisation role", "Member")


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


INVITATION_STATUSES = tuple(InvitationStatus.values)
INVITATION_TRANSITIONS: dict[str, frozenset[str]] = {
    InvitationStatus.PENDING: frozenset(
        {InvitationStatus.ACCEPTED, InvitationStatus.REVOKED, InvitationStatus.EXPIRED}
    ),
    InvitationStatus.ACCEPTED: frozenset(),
    InvitationStatus.REVOKED: frozenset(),
    InvitationStatus.EXPIRED: frozenset(),
}


class PledgeFrequency(models.TextChoices):
    ONE_TIME = "one_time", _("One-time")
    MONTHLY = "monthly", _("Monthly")


class PaymentMethod(models.TextChoices):
    """How a pledge is paid; the payments themselves live in `funds`."""

    CARD = "card", _("Card")
    SEPA_DEBIT = "sepa_debit", _("SEPA Direct Debit")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer on invoice")


# Methods paid online (through Stripe), as opposed to a bank transfer on invoice.
ONLINE_PAYMENT_METHODS = frozenset({PaymentMethod.CARD, PaymentMethod.SEPA_DEBIT})


class PledgeStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    SUSPENDED = "suspended", _("Suspended after failed payments")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", pgettext_lazy("pledge status", "Cancelled")


# Pledges that have been paid at least once (their earmarks have carried money).
PAID_PLEDGE_STATUSES = (PledgeStatus.ACTIVE, PledgeStatus.PAUSED, PledgeStatus.COMPLETED)

PLEDGE_TRANSITIONS: dict[str, frozenset[str]] = {
    PledgeStatus.AWAITING_PAYMENT: frozenset(
        {PledgeStatus.ACTIVE, PledgeStatus.COMPLETED, PledgeStatus.CANCELLED}
    ),
    PledgeStatus.ACTIVE: frozenset(
        {
            PledgeStatus.PAUSED,
            PledgeStatus.SUSPENDED,
            PledgeStatus.COMPLETED,
            PledgeStatus.CANCELLED,
        }
    ),
    PledgeStatus.PAUSED: frozenset({PledgeStatus.ACTIVE, PledgeStatus.CANCELLED}),
    PledgeStatus.SUSPENDED: frozenset({PledgeStatus.ACTIVE, PledgeStatus.CANCELLED}),
    PledgeStatus.COMPLETED: frozenset(),
    PledgeStatus.CANCELLED: frozenset(),
}
# Monthly pledges the beat task charges.
PLEDGE_CHARGEABLE_STATUSES = frozenset({PledgeStatus.ACTIVE})


class PledgeChangeKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATUS = "status", _("Status changed")
    AMENDED = "amended", _("Amount or earmarks changed")


# A pledge in these statuses waits for a payment the contributor can make now.
PAYABLE_STATUSES = frozenset({PledgeStatus.AWAITING_PAYMENT, PledgeStatus.SUSPENDED})


class SplitMode(models.TextChoices):
    """How an SBOM's proposal shares the earmarks among the projects found in it."""

    DIRECT = "direct", _("Direct dependencies first")
    COMPONENTS = "components", _("By number of components")
    EQUAL = "equal", _("Equally")
