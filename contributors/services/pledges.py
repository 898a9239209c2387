"""Writes about pledges: their earmarks, changes, status and charges."""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from contributors.enums import (
    PLEDGE_TRANSITIONS,
    PaymentMethod,
    PledgeChangeKind,
    PledgeFrequency,
    PledgeStatus,
    Visibility,
)
from contributors.models import (
    Commitment,
    Contributor,
    Earmark,
    Membership,
    Pledge,
    PledgeChange,
    Sbom,
    User,
)
from contributors.services.common import (
    MAX_EARMARKS,
    ContributionError,
)
from contributors.services.people import person_contributor_for
from librery.services import log_action, log_actions
from librery.transitions import transition
from projects.models import Project

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
        raise ContributionError(
            ngettext(
                "Choose at most %(count)d project.",
                "Choose at most %(count)d projects.",
                MAX_EARMARKS,
            )
            % {"count": MAX_EARMARKS}
        )
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
    sbom: Sbom | None = None,
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
    _check_sbom(sbom, contributor)
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
                sbom=sbom,
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


def _check_sbom(sbom: Sbom | None, contributor: Contributor) -> None:
    if sbom is not None and sbom.contributor_id != contributor.pk:
        raise ContributionError(_("This SBOM belongs to another contributor."))


def pledge_transition(
    *,
    pledge: Pledge,
    to_status: PledgeStatus | str,
    actor: Any = None,
    reason: str = "",
    locked: bool = False,
) -> Pledge:
    """Move a pledge to `to_status` if the map allows it; no-op when already there.
    With `locked`, `pledge` is a row the caller locked in its open transaction."""
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

    row, _changed = transition(
        instance=pledge,
        to_status=to_status,
        transitions=PLEDGE_TRANSITIONS,
        action=f"contributors.pledge.{to_status.value}",
        actor=actor,
        event=record,
        data=change,
        locked=locked,
        error_cls=ContributionError,
        message=lambda locked, to: _("This pledge cannot go from “%(from)s” to “%(to)s”.")
        % {"from": locked.get_status_display(), "to": PledgeStatus(to).label},
    )
    return row


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
    sbom: Sbom | None = None,
) -> Pledge:
    """Change a monthly pledge's amount and earmarks; past receipts keep their
    snapshot, so the change applies to future payments only. With `sbom`, the
    earmarks follow that SBOM's proposal and the pledge remembers it."""
    _check_monthly_owner(pledge)
    _check_sbom(sbom, pledge.contributor)
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
        if sbom is not None and locked.sbom_id != sbom.pk:
            locked.sbom = sbom
            locked.save(update_fields=["sbom", "updated_at"])
            after["sbom_id"] = sbom.pk
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


def pledge_record_payment_success(
    *, pledge: Pledge, actor: Any = None, locked: bool = False
) -> Pledge:
    """A payment of the pledge succeeded: a one-time pledge is completed, a
    monthly one becomes (or stays) active with its failure count reset and
    its next month scheduled if not already. With `locked`, `pledge` is a row
    the caller locked in its open transaction (a payment's booking)."""
    with transaction.atomic(savepoint=not locked):
        if not locked:
            pledge = Pledge.objects.select_for_update(of=("self",)).get(pk=pledge.pk)
        if pledge.frequency == PledgeFrequency.ONE_TIME:
            if pledge.status == PledgeStatus.AWAITING_PAYMENT:
                return pledge_transition(
                    pledge=pledge, to_status=PledgeStatus.COMPLETED, actor=actor, locked=True
                )
            return pledge
        fields = []
        if pledge.failed_attempts:
            pledge.failed_attempts = 0
            fields.append("failed_attempts")
        if pledge.next_charge_date is None:
            pledge.next_charge_date = add_one_month(timezone.localdate())
            fields.append("next_charge_date")
        if fields:
            pledge.save(update_fields=[*fields, "updated_at"])
        if pledge.status in {PledgeStatus.AWAITING_PAYMENT, PledgeStatus.SUSPENDED}:
            return pledge_transition(
                pledge=pledge, to_status=PledgeStatus.ACTIVE, actor=actor, locked=True
            )
    return pledge


def pledges_record_payment_success(
    *, pledge_ids: Iterable[int], actor: Any = None, locked: Iterable[Pledge] | None = None
) -> None:
    """`pledge_record_payment_success` for many pledges at once (a batch of a
    bank statement, of the daily charges): the same changes, status events and
    audit entries, in a few statements, the pledges locked in one order. With
    `locked`, the pledges are rows the caller locked in its open transaction
    (`pledge_ids` is then ignored): nothing is read again."""
    now = timezone.now()
    author = actor if getattr(actor, "is_authenticated", False) else None
    groups: dict[str, list[int]] = {}
    moves: list[tuple[Pledge, dict[str, Any]]] = []
    rows = (
        locked
        if locked is not None
        else Pledge.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(set(pledge_ids)))
        .order_by("pk")
    )
    for pledge in rows:
        to: PledgeStatus | None
        if pledge.frequency == PledgeFrequency.ONE_TIME:
            if pledge.status != PledgeStatus.AWAITING_PAYMENT:
                continue
            group, to = "completed", PledgeStatus.COMPLETED
        elif pledge.status in {PledgeStatus.AWAITING_PAYMENT, PledgeStatus.SUSPENDED}:
            group, to = "activated", PledgeStatus.ACTIVE
        elif pledge.failed_attempts or pledge.next_charge_date is None:
            group, to = "renewed", None
        else:
            continue  # a monthly pledge with nothing to change
        groups.setdefault(group, []).append(pledge.pk)
        if to is not None:
            moves.append((pledge, {"from": str(pledge.status), "to": to.value, "reason": ""}))
    monthly = {
        "failed_attempts": 0,
        "next_charge_date": Coalesce(
            F("next_charge_date"), Value(add_one_month(timezone.localdate()))
        ),
    }
    values: dict[str, dict[str, Any]] = {
        "completed": {"status": PledgeStatus.COMPLETED},
        "activated": {"status": PledgeStatus.ACTIVE, **monthly},
        "renewed": monthly,
    }
    for group, ids in groups.items():
        Pledge.objects.filter(pk__in=ids).update(updated_at=now, **values[group])
    PledgeChange.objects.bulk_create(
        PledgeChange(pledge=pledge, kind=PledgeChangeKind.STATUS, actor=author, data=data, at=now)
        for pledge, data in moves
    )
    log_actions(
        entries=[(f"contributors.pledge.{data['to']}", pledge, data) for pledge, data in moves],
        actor=actor,
    )


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
    sbom: Sbom | None = None,
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
            sbom=sbom,
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


def pledges_schedule_next_charge(*, charged: dict[int, date]) -> None:
    """`pledge_schedule_next_charge` for many pledges that the caller locked in
    its open transaction (a batch of the daily charges): each pledge's charge
    due on its date has started, the next one is a month later. One statement
    per distinct date (a day's batch has one or a few)."""
    by_date: dict[date, list[int]] = {}
    for pledge_id, charged_date in charged.items():
        by_date.setdefault(charged_date, []).append(pledge_id)
    now = timezone.now()
    for charged_date, ids in sorted(by_date.items()):
        Pledge.objects.filter(pk__in=sorted(ids), next_charge_date__lte=charged_date).update(
            next_charge_date=add_one_month(charged_date), updated_at=now
        )


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
