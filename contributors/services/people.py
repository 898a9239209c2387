"""Writes about people and organisations: display names, organisations, their
members by invitation, public bodies' 2 % commitments."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils.translation import gettext as _
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren, siret

from contributors.countries import normalise_country
from contributors.enums import (
    INVITATION_TRANSITIONS,
    PUBLIC_BODY_KINDS,
    ContributorKind,
    InvitationStatus,
    MembershipRole,
    OrganisationKind,
    Visibility,
)
from contributors.models import (
    Commitment,
    Contributor,
    Membership,
    MembershipInvitation,
    User,
)
from contributors.services.common import (
    COMMITMENT_BP,
    INVITATION_VALID_DAYS,
    ContributionError,
    _check_fields,
)
from librery.mail import mail_enqueue
from librery.services import log_action
from librery.transitions import transition

# --- Display names -----------------------------------------------------------------


def user_set_display_name(*, user: User, display_name: str) -> User:
    """The name shown publicly: the user's, and their person contributor's, which
    follows it. A no-op when unchanged."""
    display_name = display_name.strip()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = locked.display_name
        locked.display_name = display_name
        _check_fields(locked, fields=["display_name"])
        if before == display_name:
            return locked
        locked.save(update_fields=["display_name"])
        Contributor.objects.filter(user=locked, kind=ContributorKind.PERSON).update(
            name=display_name
        )
        log_action(
            action="contributors.user.display_name_changed",
            obj=locked,
            actor=locked,
            data={"before": before, "after": display_name},
        )
    user.display_name = display_name
    return locked


# --- Organisations ----------------------------------------------------------------


def _clean_siren_siret(value: str) -> str:
    compact = re.sub(r"[\s.-]", "", value)
    if not compact:
        return ""
    try:
        if len(compact) == 9:  # noqa: PLR2004 -- a SIREN
            return str(siren.validate(compact))
        return str(siret.validate(compact))
    except StdnumError:
        raise ContributionError(
            _("This SIREN or SIRET number is not valid (check its digits).")
        ) from None


def _clean_vat(value: str) -> str:
    compact = re.sub(r"[\s.-]", "", value).upper()
    if not compact:
        return ""
    try:
        return str(eu_vat.validate(compact))
    except StdnumError:
        raise ContributionError(_("This VAT number is not valid.")) from None


def organisation_create(
    *,
    user: User,
    name: str,
    organisation_kind: OrganisationKind | str,
    legal_name: str,
    country: str,
    billing_address: str,
    siren_siret: str = "",
    vat_number: str = "",
    visibility: Visibility | str = Visibility.NAMED,
) -> Contributor:
    """A new organisation, with `user` as its owner."""
    try:
        kind = OrganisationKind(organisation_kind)
        visibility = Visibility(visibility)
    except ValueError:
        raise ContributionError(
            _("Choose a kind of organisation and a public appearance.")
        ) from None
    if not name.strip() or not legal_name.strip() or not billing_address.strip():
        raise ContributionError(_("The name, legal name and billing address are required."))
    contributor = Contributor(
        kind=ContributorKind.ORGANISATION,
        name=name.strip(),
        visibility=visibility,
        user=user,
        organisation_kind=kind,
        legal_name=legal_name.strip(),
        country=normalise_country(country),
        billing_address=billing_address.strip(),
        vat_number=vat_number.strip(),
    )
    _check_fields(contributor, fields=["name", "legal_name", "country", "billing_address"])
    number = _clean_siren_siret(siren_siret[:100])
    if contributor.country == "FR" and not number:
        raise ContributionError(_("French organisations give their SIREN or SIRET number."))
    contributor.siren_siret = number
    contributor.vat_number = _clean_vat(vat_number[:100])
    with transaction.atomic():
        contributor.save()
        Membership.objects.create(contributor=contributor, user=user, role=MembershipRole.OWNER)
        log_action(action="contributors.organisation.created", obj=contributor, actor=user)
    return contributor


def person_contributor_for(
    *, user: User, visibility: Visibility | str = Visibility.NAMED
) -> Contributor:
    """The user's own person contributor, created on first pledge."""
    with transaction.atomic():
        existing = (
            Contributor.objects.select_for_update()
            .filter(user=user, kind=ContributorKind.PERSON)
            .order_by("id")
            .first()
        )
        if existing is not None:
            if existing.visibility != visibility:
                existing.visibility = Visibility(visibility)
                existing.save(update_fields=["visibility"])
                log_action(
                    action="contributors.contributor.visibility_changed",
                    obj=existing,
                    actor=user,
                    data={"visibility": existing.visibility},
                )
            return existing
        contributor = Contributor.objects.create(
            kind=ContributorKind.PERSON,
            # Never the email address: no name yet shows as "Anonymous contributor".
            name=user.display_name,
            visibility=Visibility(visibility),
            user=user,
        )
        log_action(action="contributors.contributor.created", obj=contributor, actor=user)
    return contributor


def _is_owner(*, contributor: Contributor, user: User) -> bool:
    return Membership.objects.filter(
        contributor=contributor, user=user, role=MembershipRole.OWNER
    ).exists()


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_create(
    *,
    contributor: Contributor,
    email: str,
    role: MembershipRole | str,
    actor: User,
    now: datetime,
) -> MembershipInvitation:
    """An owner invites `email` to act for the organisation: a mail with a link
    to accept, valid INVITATION_VALID_DAYS days. Whether the address has an
    account changes nothing here (nobody learns it); inviting it again replaces
    its pending invitation."""
    try:
        role = MembershipRole(role)
    except ValueError:
        raise ContributionError(_("Choose a role.")) from None
    if contributor.kind != ContributorKind.ORGANISATION:
        raise ContributionError(_("Only organisations have members."))
    if not _is_owner(contributor=contributor, user=actor):
        raise ContributionError(_("Only an owner of the organisation can invite people."))
    token = secrets.token_urlsafe(32)
    invitation = MembershipInvitation(
        contributor=contributor,
        email=email.strip().lower(),
        role=role,
        token_hash=invitation_token_hash(token),
        invited_by=actor,
        expires_at=now + timedelta(days=INVITATION_VALID_DAYS),
    )
    _check_fields(invitation, fields=["email"])
    with transaction.atomic():
        for pending in MembershipInvitation.objects.filter(
            contributor=contributor, email=invitation.email, status=InvitationStatus.PENDING
        ):
            invitation_revoke(invitation=pending, actor=actor)
        invitation.save()
        log_action(
            action="contributors.invitation.created",
            obj=invitation,
            actor=actor,
            data={"role": role.value},
        )
        account = User.objects.filter(email__iexact=invitation.email, is_active=True).first()
        mail_enqueue(
            template="contributors/email/invitation",
            # In the invitee's language when they have an account.
            recipients=[account.pk if account is not None else invitation.email],
            context={
                "organisation": contributor.name,
                "inviter": actor.display_name,
                "role": role.value,
                "expires_at": invitation.expires_at,
            },
            links={"accept_url": ("contributors:invitation_accept", [token])},
        )
    return invitation


def _invitation_transition(
    *,
    invitation: MembershipInvitation,
    to_status: InvitationStatus,
    actor: User | None,
    fields: dict[str, Any] | None = None,
) -> tuple[MembershipInvitation, bool]:
    return transition(
        instance=invitation,
        to_status=to_status,
        transitions=INVITATION_TRANSITIONS,
        action=f"contributors.invitation.{to_status.value}",
        actor=actor,
        fields=fields,
        error_cls=ContributionError,
        message=lambda _locked, _to: _("This invitation is no longer valid."),
    )


def invitation_revoke(*, invitation: MembershipInvitation, actor: User) -> MembershipInvitation:
    """An owner withdraws a pending invitation; its link then refuses."""
    if not _is_owner(contributor=invitation.contributor, user=actor):
        raise ContributionError(_("Only an owner of the organisation can revoke invitations."))
    revoked, _changed = _invitation_transition(
        invitation=invitation, to_status=InvitationStatus.REVOKED, actor=actor
    )
    return revoked


def invitation_for_token(token: str) -> MembershipInvitation | None:
    return (
        MembershipInvitation.objects.select_related("contributor", "invited_by")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )


def invitation_accept(*, token: str, user: User, now: datetime) -> Membership:
    """The invitee, signed in with the invited address verified, joins the
    organisation. A token works once; an expired or revoked one refuses."""
    invitation = invitation_for_token(token)
    if invitation is None or invitation.status != InvitationStatus.PENDING:
        raise ContributionError(_("This invitation is no longer valid."))
    if invitation.expires_at <= now:
        _invitation_transition(
            invitation=invitation, to_status=InvitationStatus.EXPIRED, actor=None
        )
        raise ContributionError(_("This invitation has expired; ask for a new one."))
    if not EmailAddress.objects.filter(
        user=user, email__iexact=invitation.email, verified=True
    ).exists():
        raise ContributionError(
            _(
                "This invitation was sent to another address: sign in with the account "
                "of that address, once it is verified."
            )
        )
    with transaction.atomic():
        _accepted, changed = _invitation_transition(
            invitation=invitation,
            to_status=InvitationStatus.ACCEPTED,
            actor=user,
            fields={"accepted_by": user},
        )
        if not changed:  # accepted meanwhile: a token works once
            raise ContributionError(_("This invitation is no longer valid."))
        membership, created = Membership.objects.get_or_create(
            contributor=invitation.contributor, user=user, defaults={"role": invitation.role}
        )
        if created:
            log_action(
                action="contributors.membership.added",
                obj=membership,
                actor=user,
                data={"user": user.pk, "role": invitation.role, "invitation": invitation.pk},
            )
    return membership


# --- Commitments ---------------------------------------------------------------------


def commitment_create(
    *, contributor: Contributor, project_name: str, year: int, budget_cents: int, actor: User
) -> Commitment:
    """A public body declares a digital project; it commits 2 % of its budget."""
    if contributor.organisation_kind not in PUBLIC_BODY_KINDS:
        raise ContributionError(_("Only public bodies declare a 2 % commitment."))
    if not project_name.strip():
        raise ContributionError(_("Name the digital project."))
    _check_fields(Commitment(project_name=project_name.strip()), fields=["project_name"])
    if not 2000 <= year <= 2100:  # noqa: PLR2004 -- a plausible year
        raise ContributionError(_("Enter the project's year, such as 2026."))
    if budget_cents <= 0 or budget_cents > 10**14:
        raise ContributionError(_("Enter the project's budget in euros."))
    with transaction.atomic():
        commitment = Commitment.objects.create(
            contributor=contributor,
            project_name=project_name.strip(),
            year=year,
            budget_cents=budget_cents,
            commitment_cents=budget_cents * COMMITMENT_BP // 10_000,
        )
        log_action(
            action="contributors.commitment.created",
            obj=commitment,
            actor=actor,
            data={"budget_cents": budget_cents, "commitment_cents": commitment.commitment_cents},
        )
    return commitment
