"""Writes about contributors: organisations and their members, pledges, their
earmarks and changes, public bodies' 2 % commitments."""

from __future__ import annotations

import calendar
import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren, siret

from contributors.enums import (
    PLEDGE_TRANSITIONS,
    PUBLIC_BODY_KINDS,
    ContributorKind,
    MembershipRole,
    OrganisationKind,
    PaymentMethod,
    PledgeChangeKind,
    PledgeFrequency,
    PledgeStatus,
    Visibility,
)
from contributors.errors import ContributorsError
from contributors.models import (
    Commitment,
    Contributor,
    Earmark,
    Membership,
    Pledge,
    PledgeChange,
    User,
)
from librery.services import log_action
from librery.transitions import transition
from projects.models import Project

MAX_EARMARKS = 20
COMMITMENT_BP = 200  # 2 % of a public body's digital project budget


class ContributionError(ContributorsError, ValueError):
    """Input that cannot be accepted; the message is for the user, in their language."""


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
    country = country.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise ContributionError(_("Enter the country as a two-letter code, such as FR."))
    if not name.strip() or not legal_name.strip() or not billing_address.strip():
        raise ContributionError(_("The name, legal name and billing address are required."))
    number = _clean_siren_siret(siren_siret)
    if country == "FR" and not number:
        raise ContributionError(_("French organisations give their SIREN or SIRET number."))
    vat = _clean_vat(vat_number)
    with transaction.atomic():
        contributor = Contributor.objects.create(
            kind=ContributorKind.ORGANISATION,
            name=name.strip(),
            visibility=visibility,
            user=user,
            organisation_kind=kind,
            legal_name=legal_name.strip(),
            country=country,
            billing_address=billing_address.strip(),
            siren_siret=number,
            vat_number=vat,
        )
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
            name=user.display_name or user.email.split("@")[0],
            visibility=Visibility(visibility),
            user=user,
        )
        log_action(action="contributors.contributor.created", obj=contributor, actor=user)
    return contributor


def membership_add(
    *, contributor: Contributor, user: User, role: MembershipRole | str, actor: User
) -> Membership:
    """Let `user` act for the organisation; only an owner may add someone."""
    role = MembershipRole(role)
    if contributor.kind != ContributorKind.ORGANISATION:
        raise ContributionError(_("Only organisations have members."))
    if not Membership.objects.filter(
        contributor=contributor, user=actor, role=MembershipRole.OWNER
    ).exists():
        raise ContributionError(_("Only an owner of the organisation can add members."))
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            contributor=contributor, user=user, defaults={"role": role}
        )
        if created:
            log_action(
                action="contributors.membership.added",
                obj=membership,
                actor=actor,
                data={"user": user.pk, "role": role.value},
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


# --- Pledges ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EarmarkInput:
    project_id: int
    share_bp: int


def pledge_validate(
    *, amount_cents: int, earmarks: list[EarmarkInput], earmark_cap_bp: int
) -> dict[int, Project]:
    """Check an amount's type and the earmarks (at most `earmark_cap_bp` in all);
    returns the earmarked projects by id. Raises `ContributionError` with the
    reason. The amount's limits are fund settings: `funds.services.pledges`
    checks them and passes the cap in force, and every pledge goes through it."""
    cap = earmark_cap_bp
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise ContributionError(_("Enter an amount in euros, such as 50 or 50,00."))
    if len(earmarks) > MAX_EARMARKS:
        raise ContributionError(_("Choose at most %(count)d projects.") % {"count": MAX_EARMARKS})
    ids = [earmark.project_id for earmark in earmarks]
    if len(set(ids)) != len(ids):
        raise ContributionError(_("Each project can be chosen only once."))
    for earmark in earmarks:
        if earmark.share_bp < 1:
            raise ContributionError(_("Each earmarked share must be more than 0 %."))
    total = sum(earmark.share_bp for earmark in earmarks)
    if total > cap:
        raise ContributionError(
            _("Your earmarks add up to %(total)s %%; at most %(cap)s %% can be earmarked.")
            % {"total": _bp_display(total), "cap": _bp_display(cap)}
        )
    projects = Project.objects.fundable().in_bulk(ids)
    if len(projects) != len(ids):
        raise ContributionError(_("One of the chosen projects cannot receive funds."))
    return projects


def _bp_display(bp: int) -> str:
    whole, part = divmod(bp, 100)
    return f"{whole}" if part == 0 else f"{whole},{part:02d}".rstrip("0")


def _earmarks_data(pledge: Pledge) -> list[dict[str, int]]:
    return [
        {"project_id": project_id, "share_bp": share_bp}
        for project_id, share_bp in pledge.earmarks.order_by("project_id").values_list(
            "project_id", "share_bp"
        )
    ]


def pledge_create(
    *,
    contributor: Contributor,
    actor: User,
    frequency: PledgeFrequency | str,
    amount_cents: int,
    payment_method: PaymentMethod | str,
    earmarks: list[EarmarkInput],
    idempotency_token: uuid.UUID,
    earmark_cap_bp: int,
    commitment: Commitment | None = None,
) -> Pledge:
    """A new pledge awaiting its first payment. The same form token twice gives
    the same pledge (double submit). Called through `funds.services.pledges`,
    which applies the fund settings and issues a bank transfer's payment request."""
    try:
        frequency = PledgeFrequency(frequency)
        method = PaymentMethod(payment_method)
    except ValueError:
        raise ContributionError(_("Choose how often and how you pay.")) from None
    if commitment is not None and commitment.contributor_id != contributor.pk:
        raise ContributionError(_("This commitment belongs to another contributor."))
    existing = Pledge.objects.filter(idempotency_token=idempotency_token).first()
    if existing is not None:
        if existing.contributor_id != contributor.pk:
            raise ContributionError(_("This form was already used; reload the page."))
        return existing
    now = timezone.now()
    pledge_validate(amount_cents=amount_cents, earmarks=earmarks, earmark_cap_bp=earmark_cap_bp)
    try:
        with transaction.atomic():
            pledge = Pledge.objects.create(
                contributor=contributor,
                created_by=actor,
                frequency=frequency,
                amount_cents=amount_cents,
                payment_method=method,
                commitment=commitment,
                idempotency_token=idempotency_token,
            )
            Earmark.objects.bulk_create(
                Earmark(pledge=pledge, project_id=e.project_id, share_bp=e.share_bp)
                for e in earmarks
            )
            data = {
                "frequency": frequency.value,
                "amount_cents": amount_cents,
                "payment_method": method.value,
                "earmarks": _earmarks_data(pledge),
            }
            PledgeChange.objects.create(
                pledge=pledge, kind=PledgeChangeKind.CREATED, actor=actor, data=data, at=now
            )
            log_action(action="contributors.pledge.created", obj=pledge, actor=actor, data=data)
    except IntegrityError:
        existing = Pledge.objects.filter(idempotency_token=idempotency_token).first()
        if existing is None:
            raise
        return existing
    return pledge


def pledge_transition(
    *, pledge: Pledge, to_status: PledgeStatus | str, actor: Any = None, reason: str = ""
) -> Pledge:
    """Move a pledge to `to_status` if the map allows it; no-op when already there."""
    to_status = PledgeStatus(to_status)

    def change(_locked: Pledge, previous: str) -> dict[str, Any]:
        return {"from": previous, "to": to_status.value, "reason": reason}

    def record(locked: Pledge, previous: str) -> None:
        PledgeChange.objects.create(
            pledge=locked,
            kind=PledgeChangeKind.STATUS,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            data=change(locked, previous),
            at=timezone.now(),
        )

    locked, _changed = transition(
        instance=pledge,
        to_status=to_status,
        transitions=PLEDGE_TRANSITIONS,
        action=f"contributors.pledge.{to_status.value}",
        actor=actor,
        event=record,
        data=change,
        error_cls=ContributionError,
        message=lambda locked, to: _("This pledge cannot go from “%(from)s” to “%(to)s”.")
        % {"from": locked.get_status_display(), "to": PledgeStatus(to).label},
    )
    return locked


def _check_monthly_owner(pledge: Pledge) -> None:
    if pledge.frequency != PledgeFrequency.MONTHLY:
        raise ContributionError(_("Only a monthly pledge can be paused, resumed or changed."))


def pledge_pause(*, pledge: Pledge, actor: User) -> Pledge:
    _check_monthly_owner(pledge)
    return pledge_transition(pledge=pledge, to_status=PledgeStatus.PAUSED, actor=actor)


def pledge_resume(*, pledge: Pledge, actor: User) -> Pledge:
    _check_monthly_owner(pledge)
    return pledge_transition(pledge=pledge, to_status=PledgeStatus.ACTIVE, actor=actor)


def pledge_cancel(*, pledge: Pledge, actor: User) -> Pledge:
    return pledge_transition(pledge=pledge, to_status=PledgeStatus.CANCELLED, actor=actor)


def pledge_amend(
    *,
    pledge: Pledge,
    actor: User,
    amount_cents: int,
    earmarks: list[EarmarkInput],
    earmark_cap_bp: int,
) -> Pledge:
    """Change a monthly pledge's amount and earmarks; past receipts keep their
    snapshot, so the change applies to future payments only."""
    _check_monthly_owner(pledge)
    now = timezone.now()
    pledge_validate(amount_cents=amount_cents, earmarks=earmarks, earmark_cap_bp=earmark_cap_bp)
    with transaction.atomic():
        locked = Pledge.objects.select_for_update(of=("self",)).get(pk=pledge.pk)
        if locked.status in {PledgeStatus.CANCELLED, PledgeStatus.COMPLETED}:
            raise ContributionError(_("A cancelled pledge cannot be changed."))
        before = {"amount_cents": locked.amount_cents, "earmarks": _earmarks_data(locked)}
        locked.amount_cents = amount_cents
        locked.save(update_fields=["amount_cents", "updated_at"])
        locked.earmarks.all().delete()
        Earmark.objects.bulk_create(
            Earmark(pledge=locked, project_id=e.project_id, share_bp=e.share_bp) for e in earmarks
        )
        after = {"amount_cents": amount_cents, "earmarks": _earmarks_data(locked)}
        if after == before:
            return locked
        data = {"before": before, "after": after}
        PledgeChange.objects.create(
            pledge=locked, kind=PledgeChangeKind.AMENDED, actor=actor, data=data, at=now
        )
        log_action(action="contributors.pledge.amended", obj=locked, actor=actor, data=data)
    return locked


def add_one_month(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)  # noqa: PLR2004
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def pledge_record_payment_success(*, pledge: Pledge, actor: Any = None) -> Pledge:
    """A payment of the pledge succeeded: a one-time pledge is completed, a
    monthly one becomes (or stays) active with its failure count reset and
    its next month scheduled if not already."""
    with transaction.atomic():
        locked = Pledge.objects.select_for_update(of=("self",)).get(pk=pledge.pk)
        if locked.frequency == PledgeFrequency.ONE_TIME:
            if locked.status == PledgeStatus.AWAITING_PAYMENT:
                return pledge_transition(
                    pledge=locked, to_status=PledgeStatus.COMPLETED, actor=actor
                )
            return locked
        fields = []
        if locked.failed_attempts:
            locked.failed_attempts = 0
            fields.append("failed_attempts")
        if locked.next_charge_date is None:
            locked.next_charge_date = add_one_month(timezone.localdate())
            fields.append("next_charge_date")
        if fields:
            locked.save(update_fields=[*fields, "updated_at"])
        if locked.status in {PledgeStatus.AWAITING_PAYMENT, PledgeStatus.SUSPENDED}:
            return pledge_transition(pledge=locked, to_status=PledgeStatus.ACTIVE, actor=actor)
    return locked


def pledge_submit(
    *,
    user: User,
    organisation: Contributor | None,
    visibility: Visibility | str,
    frequency: PledgeFrequency | str,
    amount_cents: int,
    payment_method: PaymentMethod | str,
    earmarks: list[EarmarkInput],
    idempotency_token: uuid.UUID,
    earmark_cap_bp: int,
    commitment: Commitment | None = None,
) -> Pledge:
    """The pledge form: as the user themself (their person contributor, with the
    public appearance they chose) or for an organisation they act for."""
    with transaction.atomic():
        if organisation is None:
            contributor = person_contributor_for(user=user, visibility=visibility)
        else:
            if not Membership.objects.filter(contributor=organisation, user=user).exists():
                raise ContributionError(_("You do not act for this organisation."))
            contributor = organisation
        return pledge_create(
            contributor=contributor,
            actor=user,
            frequency=frequency,
            amount_cents=amount_cents,
            payment_method=payment_method,
            earmarks=earmarks,
            idempotency_token=idempotency_token,
            earmark_cap_bp=earmark_cap_bp,
            commitment=commitment,
        )


# --- Off-session charging (the Stripe part of funds calls these) -----------------


def pledge_save_payment_method(
    *, pledge: Pledge, customer_id: str, payment_method_id: str, actor: Any = None
) -> Pledge:
    """Remember the Stripe customer and the payment method saved for off-session use."""
    with transaction.atomic():
        locked = Pledge.objects.select_for_update(of=("self",)).get(pk=pledge.pk)
        if (locked.stripe_customer_id, locked.stripe_payment_method_id) == (
            customer_id,
            payment_method_id,
        ):
            return locked
        locked.stripe_customer_id = customer_id
        locked.stripe_payment_method_id = payment_method_id
        locked.save(update_fields=["stripe_customer_id", "stripe_payment_method_id", "updated_at"])
        log_action(
            action="contributors.pledge.payment_method_saved",
            obj=locked,
            actor=actor,
            data={"customer": customer_id, "payment_method": payment_method_id},
        )
    return locked


def pledge_schedule_next_charge(*, pledge: Pledge, charged_date: date) -> Pledge:
    """The charge due on `charged_date` has started: the next one is a month
    later. Replaying it for the same date is a no-op."""
    with transaction.atomic():
        locked = Pledge.objects.select_for_update(of=("self",)).get(pk=pledge.pk)
        if locked.next_charge_date is not None and locked.next_charge_date <= charged_date:
            locked.next_charge_date = add_one_month(charged_date)
            locked.save(update_fields=["next_charge_date", "updated_at"])
    return locked


def pledge_record_payment_failure(
    *, pledge: Pledge, suspend_after: int, reason: str = "", actor: Any = None
) -> Pledge:
    """A payment of the pledge failed: one more failure in a row; an active
    monthly pledge is suspended once `suspend_after` failures are reached."""
    with transaction.atomic():
        locked = Pledge.objects.select_for_update(of=("self",)).get(pk=pledge.pk)
        locked.failed_attempts += 1
        locked.save(update_fields=["failed_attempts", "updated_at"])
        log_action(
            action="contributors.pledge.payment_failed",
            obj=locked,
            actor=actor,
            data={"failed_attempts": locked.failed_attempts, "reason": reason},
        )
        if (
            locked.frequency == PledgeFrequency.MONTHLY
            and locked.status == PledgeStatus.ACTIVE
            and locked.failed_attempts >= suspend_after
        ):
            return pledge_transition(
                pledge=locked, to_status=PledgeStatus.SUSPENDED, actor=actor, reason=reason
            )
    return locked
