"""governance: writes and workflows (colleges, mandates, interests, ballots)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from funds import services as fund_services
from funds.enums import FundSettingKey
from governance import selectors, tally
from governance.enums import (
    DEFAULT_COLLEGES,
    QUALIFIED_EFFECTS,
    ROUND_POINTS,
    STATUTES_REFERENCE,
    BallotEventKind,
    BallotKind,
    BallotStatus,
    Choice,
    CollegeCode,
    InterestKind,
    Majority,
    MotionEffect,
)
from governance.models import (
    Ballot,
    BallotEvent,
    College,
    CollegeWeight,
    DeclaredInterest,
    Mandate,
    Meeting,
    Proxy,
    Seat,
    Vote,
)
from librery.services import log_action
from projects import services as project_services
from projects.models import Project


class GovernanceError(ValueError):
    """A governance action refused; the message says why, in the user's language."""


WEIGHTS_REFUSED = _(
    "The weights must sum to 10000 basis points and the commoners must weigh more than half."
)
RECUSED_MOTION = _(
    "You are recused from this motion: it concerns a project you have an interest in."
)
RECUSED_POINTS = _("You are recused from a project you placed points on: you have an interest.")


# --- Colleges, seats, mandates ----------------------------------------------------


def _english(text: Any) -> str:
    with translation.override("en"):
        return str(text)


def college_defaults_ensure(*, at: datetime) -> list[College]:
    """The four statutory colleges with their seats and initial weights. Idempotent."""
    colleges = []
    with transaction.atomic():
        for code, weight, seats in DEFAULT_COLLEGES:
            college, created = College.objects.get_or_create(
                code=code, defaults={"name": _english(CollegeCode(code).label), "seat_count": seats}
            )
            if created:
                log_action(action="governance.college.created", obj=college)
            for number in range(1, college.seat_count + 1):
                Seat.objects.get_or_create(college=college, number=number)
            if not college.weights.exists():
                CollegeWeight.objects.create(
                    college=college,
                    weight_bp=weight,
                    effective_at=at,
                    decision_reference=STATUTES_REFERENCE,
                )
            colleges.append(college)
    return colleges


def college_update(*, college: College, name: str, seat_count: int, actor: Any) -> College:
    """Rename a college or change its number of seats; seats beyond the number
    are kept for the history of their mandates but cannot get new ones."""
    if seat_count < 1:
        raise GovernanceError(_("A college has at least one seat."))
    if not name.strip():
        raise GovernanceError(_("A college needs a name."))
    with transaction.atomic():
        locked = College.objects.select_for_update().get(pk=college.pk)
        locked.name = name.strip()
        locked.seat_count = seat_count
        locked.save(update_fields=["name", "seat_count"])
        for number in range(1, seat_count + 1):
            Seat.objects.get_or_create(college=locked, number=number)
        log_action(
            action="governance.college.updated",
            obj=locked,
            actor=actor,
            data={"name": locked.name, "seat_count": seat_count},
        )
    return locked


def college_weights_set(
    *, weights: Mapping[str, int], effective_at: datetime, decision_reference: str, actor: Any
) -> list[CollegeWeight]:
    """New statutory weights from `effective_at`, set by an adopted decision."""
    colleges = {c.code: c for c in College.objects.all()}
    if set(weights) != set(colleges):
        raise GovernanceError(_("Give a weight for each college, and only for them."))
    error = tally.weights_error(weights, commoners=CollegeCode.COMMONERS)
    if error is not None:
        raise GovernanceError(WEIGHTS_REFUSED)
    if not decision_reference.strip():
        raise GovernanceError(_("College weights change only through a recorded decision."))
    rows = []
    with transaction.atomic():
        for code, weight in sorted(weights.items()):
            existing = CollegeWeight.objects.filter(
                college=colleges[code], effective_at=effective_at
            ).first()
            if existing is not None:
                if existing.weight_bp != weight:
                    raise GovernanceError(
                        _("These weights conflict with a decision already recorded.")
                    )
                rows.append(existing)
                continue
            rows.append(
                CollegeWeight.objects.create(
                    college=colleges[code],
                    weight_bp=weight,
                    effective_at=effective_at,
                    decision_reference=decision_reference,
                )
            )
        log_action(
            action="governance.college.weights_changed",
            obj=rows[0],
            actor=actor,
            data={"weights": dict(weights), "decision": decision_reference},
        )
    return rows


def mandate_create(
    *,
    seat: Seat,
    holder: Any,
    start_date: date,
    end_date: date,
    substitute: Any = None,
    actor: Any = None,
) -> Mandate:
    """Give a seat to a person for a term; a seat has one mandate at a time."""
    if end_date < start_date:
        raise GovernanceError(_("A mandate ends after it starts."))
    if substitute is not None and substitute.pk == holder.pk:
        raise GovernanceError(_("The substitute cannot be the holder."))
    with transaction.atomic():
        Seat.objects.select_for_update().get(pk=seat.pk)
        if seat.number > seat.college.seat_count:
            raise GovernanceError(_("This seat is beyond the college's number of seats."))
        overlapping = Mandate.objects.filter(
            seat=seat, start_date__lte=end_date, end_date__gte=start_date
        )
        if overlapping.exists():
            raise GovernanceError(_("This seat already has a mandate during these dates."))
        mandate = Mandate.objects.create(
            seat=seat,
            holder=holder,
            substitute=substitute,
            start_date=start_date,
            end_date=end_date,
        )
        log_action(
            action="governance.mandate.created",
            obj=mandate,
            actor=actor,
            data={
                "seat": seat.pk,
                "holder": holder.pk,
                "substitute": getattr(substitute, "pk", None),
            },
        )
    return mandate


def mandate_end(*, mandate: Mandate, end_date: date, actor: Any) -> Mandate:
    """End a mandate early (resignation, vacancy); history is kept."""
    with transaction.atomic():
        locked = Mandate.objects.select_for_update().get(pk=mandate.pk)
        if end_date < locked.start_date:
            raise GovernanceError(_("A mandate ends after it starts."))
        if end_date >= locked.end_date:
            return locked
        locked.end_date = end_date
        locked.save(update_fields=["end_date"])
        log_action(
            action="governance.mandate.ended",
            obj=locked,
            actor=actor,
            data={"end_date": str(end_date)},
        )
    return locked


def interest_declare(
    *, user: Any, project: Project, kind: InterestKind | str, note: str = "", actor: Any = None
) -> DeclaredInterest:
    """Declare an interest in a project: the person is recused from every item
    concerning it in ballots opened from now on."""
    interest, created = DeclaredInterest.objects.get_or_create(
        user=user, project=project, kind=InterestKind(kind), defaults={"note": note}
    )
    if created:
        log_action(
            action="governance.interest.declared",
            obj=interest,
            actor=actor or user,
            data={"project": project.pk, "kind": str(kind)},
        )
    return interest


# --- Ballots ------------------------------------------------------------------


def _event(ballot: Ballot, kind: BallotEventKind, at: datetime, actor: Any, **data: Any) -> None:
    BallotEvent.objects.create(
        ballot=ballot,
        kind=kind,
        at=at,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        data=data,
    )


def ballot_create(
    *,
    kind: BallotKind | str,
    title: str,
    closes_at: datetime,
    actor: Any,
    description: str = "",
    majority: Majority | str = Majority.ORDINARY,
    effect: MotionEffect | str = MotionEffect.NONE,
    effect_project: Project | None = None,
    effect_setting_key: str = "",
    effect_value: int | None = None,
    effect_weights: Mapping[str, int] | None = None,
    effect_effective_at: datetime | None = None,
    meeting: Meeting | None = None,
    opens_at: datetime | None = None,
) -> Ballot:
    """A draft motion or round, opened by an administrator or at `opens_at`.
    Settings changes need a qualified majority."""
    kind = BallotKind(kind)
    effect = MotionEffect(effect)
    if not title.strip():
        raise GovernanceError(_("A ballot needs a title."))
    if kind == BallotKind.ROUND and effect != MotionEffect.NONE:
        raise GovernanceError(_("A pool allocation round has no other effect."))
    if (
        effect in (MotionEffect.ADMIT_PROJECT, MotionEffect.SUSPEND_PROJECT)
        and effect_project is None
    ):
        raise GovernanceError(_("Choose the project the motion concerns."))
    if effect == MotionEffect.FUND_SETTING and (
        effect_setting_key not in FundSettingKey.values or effect_value is None
    ):
        raise GovernanceError(_("Choose the fund setting and its new value."))
    if effect == MotionEffect.COLLEGE_WEIGHTS:
        weights = dict(effect_weights or {})
        codes = set(College.objects.values_list("code", flat=True))
        if set(weights) != codes or tally.weights_error(weights, commoners=CollegeCode.COMMONERS):
            raise GovernanceError(WEIGHTS_REFUSED)
    if effect == MotionEffect.ADOPT_MINUTES and meeting is None:
        raise GovernanceError(_("Choose the meeting whose minutes are adopted."))
    if effect in QUALIFIED_EFFECTS:
        majority = Majority.QUALIFIED
    if opens_at is not None and opens_at >= closes_at:
        raise GovernanceError(_("The closing time must be after the opening."))
    ballot = Ballot.objects.create(
        opens_at=opens_at,
        kind=kind,
        title=title.strip(),
        description=description,
        majority=Majority(majority) if kind == BallotKind.MOTION else Majority.ORDINARY,
        effect=effect,
        effect_project=effect_project,
        effect_setting_key=effect_setting_key,
        effect_value=effect_value,
        effect_weights=dict(effect_weights or {}),
        effect_effective_at=effect_effective_at,
        meeting=meeting,
        closes_at=closes_at,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    log_action(action="governance.ballot.created", obj=ballot, actor=actor, data={"kind": kind})
    return ballot


ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    BallotStatus.DRAFT: frozenset({BallotStatus.OPEN}),
    BallotStatus.OPEN: frozenset({BallotStatus.CLOSED}),
    BallotStatus.CLOSED: frozenset({BallotStatus.RELEASED}),
    BallotStatus.RELEASED: frozenset(),
}


def ballot_transition(
    *, ballot: Ballot, to: BallotStatus, actor: Any, at: datetime
) -> tuple[Ballot, bool]:
    """Move a ballot to `to` under lock; (ballot, changed). No-op when already there."""
    with transaction.atomic():
        locked = Ballot.objects.select_for_update(of=("self",)).get(pk=ballot.pk)
        if locked.status == to:
            return locked, False
        if to not in ALLOWED_TRANSITIONS[locked.status]:
            raise GovernanceError(
                _("This ballot cannot go from %(old)s to %(new)s.")
                % {"old": locked.get_status_display(), "new": BallotStatus(to).label}
            )
        if to == BallotStatus.OPEN:
            _freeze(locked, at)
        elif to == BallotStatus.CLOSED and at < locked.closes_at:
            raise GovernanceError(_("This ballot closes at its closing time, not before."))
        elif to == BallotStatus.RELEASED:
            _release(locked, at, actor)
        locked.status = to
        locked.save()
        kind = {
            BallotStatus.OPEN: BallotEventKind.OPENED,
            BallotStatus.CLOSED: BallotEventKind.CLOSED,
            BallotStatus.RELEASED: BallotEventKind.RELEASED,
        }[to]
        _event(locked, kind, at, actor)
        log_action(action=f"governance.ballot.{to}", obj=locked, actor=actor)
    return locked, True


def _freeze(ballot: Ballot, at: datetime) -> None:
    if at >= ballot.closes_at:
        raise GovernanceError(_("The closing time must be after the opening."))
    electorate = selectors.electorate_on(on=timezone.localdate(at))
    if not electorate:
        raise GovernanceError(_("No seat has a mandate in force: there is nobody to vote."))
    weights = selectors.college_weights_at(at=at)
    if tally.weights_error(weights, commoners=CollegeCode.COMMONERS) or not {
        e["college"] for e in electorate
    } <= set(weights):
        raise GovernanceError(WEIGHTS_REFUSED)
    people = {e["holder"] for e in electorate} | {
        e["substitute"] for e in electorate if e["substitute"]
    }
    ballot.opens_at = at
    ballot.electorate = electorate
    ballot.electorate_fingerprint = tally.electorate_fingerprint(electorate)
    ballot.recusals = selectors.recusals_for(user_ids=people)
    ballot.frozen_settings = {
        "kind": ballot.kind,
        "majority": ballot.majority,
        "weights": weights,
        "commoners": CollegeCode.COMMONERS.value,
        "project": ballot.effect_project_id,
        "points": ROUND_POINTS,
    }
    if ballot.effect_project_id is not None:
        for entry in electorate:
            if ballot.effect_project_id in ballot.recusals.get(str(entry["holder"]), []):
                _event(
                    ballot,
                    BallotEventKind.RECUSAL,
                    at,
                    None,
                    seat=entry["seat"],
                    user=entry["holder"],
                    project=ballot.effect_project_id,
                )


def ballot_open(*, ballot: Ballot, actor: Any, at: datetime) -> Ballot:
    """Open a draft ballot now: the electorate and settings are frozen and
    the electorate's fingerprint is published; the voters are told by email."""
    opened, changed = ballot_transition(ballot=ballot, to=BallotStatus.OPEN, actor=actor, at=at)
    if changed:
        transaction.on_commit(lambda: _mail_electorate(opened, "opened"))
    return opened


def ballot_update(
    *, ballot: Ballot, actor: Any, title: str, description: str, closes_at: datetime
) -> Ballot:
    """Change a ballot's wording or closing time; refused once the first vote is cast."""
    with transaction.atomic():
        locked = Ballot.objects.select_for_update().get(pk=ballot.pk)
        if locked.settings_frozen_at is not None or locked.status not in (
            BallotStatus.DRAFT,
            BallotStatus.OPEN,
        ):
            raise GovernanceError(
                _("The settings of a ballot are frozen once the first vote is cast.")
            )
        if locked.opens_at is not None and closes_at <= locked.opens_at:
            raise GovernanceError(_("The closing time must be after the opening."))
        locked.title, locked.description, locked.closes_at = title, description, closes_at
        locked.save(update_fields=["title", "description", "closes_at"])
        log_action(action="governance.ballot.updated", obj=locked, actor=actor)
    return locked


def ballot_close(*, ballot: Ballot, at: datetime, actor: Any = None) -> Ballot:
    return ballot_transition(ballot=ballot, to=BallotStatus.CLOSED, actor=actor, at=at)[0]


def ballot_release(*, ballot: Ballot, actor: Any, at: datetime) -> Ballot:
    """An administrator releases the results of a closed ballot: tally, bundle,
    decision number, the motion's effect, emails."""
    if not getattr(actor, "is_staff", False):
        raise GovernanceError(_("Only an administrator releases results."))
    released, changed = ballot_transition(
        ballot=ballot, to=BallotStatus.RELEASED, actor=actor, at=at
    )
    if changed:
        transaction.on_commit(lambda: _mail_electorate(released, "released"))
    return released


def vote_rows(ballot: Ballot) -> list[dict[str, Any]]:
    return [
        {
            "seat": v.seat_id,
            "member": v.member_id,
            "cast_by": v.cast_by_id,
            "choice": v.choice,
            "points": dict(sorted(v.points.items())),
            "receipt": v.receipt,
        }
        for v in ballot.votes.order_by("seat_id")
    ]


def ballot_bundle(ballot: Ballot) -> dict[str, Any]:
    """The published bundle (without its result): everything needed to recompute."""
    return {
        "ballot": {
            "id": ballot.pk,
            "kind": ballot.kind,
            "title": ballot.title,
            "opens_at": ballot.opens_at.isoformat() if ballot.opens_at else None,
            "closes_at": ballot.closes_at.isoformat(),
        },
        "settings": ballot.frozen_settings,
        "electorate": ballot.electorate,
        "electorate_fingerprint": ballot.electorate_fingerprint,
        "recusals": ballot.recusals,
        "votes": vote_rows(ballot),
    }


def _decision_number(at: datetime) -> str:
    prefix = f"{timezone.localtime(at):%Y-%m}/"
    taken = Ballot.objects.filter(decision_number__startswith=prefix).count()
    return f"{prefix}{taken + 1}"


def _release(ballot: Ballot, at: datetime, actor: Any) -> None:
    bundle = ballot_bundle(ballot)
    result = tally.tally(
        settings=bundle["settings"],
        electorate=bundle["electorate"],
        recusals=bundle["recusals"],
        votes=bundle["votes"],
    )
    bundle["result"] = result
    ballot.result = result
    ballot.bundle = bundle
    ballot.bundle_hash = tally.sha256_hex(bundle)
    ballot.adopted = bool(result["adopted"])
    ballot.released_at = at
    if ballot.adopted:
        ballot.decision_number = _decision_number(at)
        _apply_effect(ballot, at, actor)


def _apply_project_effect(ballot: Ballot, actor: Any, reference: str) -> None:
    project = ballot.effect_project
    if project is None:
        return
    change = (
        project_services.project_admit
        if ballot.effect == MotionEffect.ADMIT_PROJECT
        else project_services.project_suspend
    )
    try:
        change(project=project, actor=actor, reference=reference)
    except project_services.ProjectTransitionError as exc:
        raise GovernanceError(
            _("The project %(project)s cannot take this status now: %(reason)s")
            % {"project": project.name, "reason": exc}
        ) from exc


def _apply_effect(ballot: Ballot, at: datetime, actor: Any) -> None:
    reference = ballot.decision_number or ""
    effective_at = ballot.effect_effective_at or at
    if ballot.effect in (MotionEffect.ADMIT_PROJECT, MotionEffect.SUSPEND_PROJECT):
        _apply_project_effect(ballot, actor, reference)
    elif ballot.effect == MotionEffect.FUND_SETTING and ballot.effect_value is not None:
        try:
            fund_services.fund_setting_change(
                key=ballot.effect_setting_key,
                value=ballot.effect_value,
                effective_at=effective_at,
                decision_reference=reference,
                actor=actor,
            )
        except fund_services.FundSettingError as exc:
            raise GovernanceError(str(exc)) from exc
    elif ballot.effect == MotionEffect.COLLEGE_WEIGHTS:
        college_weights_set(
            weights=ballot.effect_weights,
            effective_at=effective_at,
            decision_reference=reference,
            actor=actor,
        )
    elif ballot.effect == MotionEffect.ADOPT_MINUTES and ballot.meeting is not None:
        Meeting.objects.filter(pk=ballot.meeting.pk).update(minutes_adopted_reference=reference)


def proxy_give(*, ballot: Ballot, giver: Any, holder: Any, at: datetime) -> Proxy:
    """A holder gives their proxy for this ballot to a holder of the same college."""
    with transaction.atomic():
        locked = Ballot.objects.select_for_update().get(pk=ballot.pk)
        _check_open(locked, at)
        seats = {e["holder"]: e for e in locked.electorate}
        if giver.pk not in seats or holder.pk not in seats:
            raise GovernanceError(
                _("A proxy goes from a seat holder to another seat holder of this ballot.")
            )
        if giver.pk == holder.pk or seats[giver.pk]["college"] != seats[holder.pk]["college"]:
            raise GovernanceError(_("A proxy goes to another holder of the same college."))
        if Proxy.objects.filter(ballot=locked, giver=giver).exists():
            raise GovernanceError(_("You have already given your proxy for this ballot."))
        if Proxy.objects.filter(ballot=locked, holder=holder).exists():
            raise GovernanceError(_("This holder already carries a proxy: at most one each."))
        if Proxy.objects.filter(ballot=locked, giver=holder).exists():
            raise GovernanceError(_("This holder has given their own proxy for this ballot."))
        proxy = Proxy.objects.create(
            ballot=locked, giver=giver, holder=holder, seat_id=seats[giver.pk]["seat"]
        )
        _event(locked, BallotEventKind.PROXY, at, giver, giver=giver.pk, holder=holder.pk)
        log_action(action="governance.proxy.given", obj=proxy, actor=giver)
    return proxy


def _check_open(ballot: Ballot, at: datetime) -> None:
    if ballot.status != BallotStatus.OPEN or at >= ballot.closes_at:
        raise GovernanceError(_("This ballot is not open: votes are no longer accepted."))
    if ballot.opens_at is not None and at < ballot.opens_at:
        raise GovernanceError(_("This ballot is not open yet."))


def _receipt(data: Mapping[str, Any]) -> str:
    return hashlib.sha256(tally.canonical_json(data).encode()).hexdigest()


def vote_cast(
    *,
    ballot: Ballot,
    voter: Any,
    at: datetime,
    seat_id: int | None = None,
    choice: Choice | str = "",
    points: Mapping[Any, int] | None = None,
    points_error: str | None = None,
) -> Vote:
    """Cast or change the vote of a seat. The last vote counts; submitting the
    same vote again changes nothing. Refused with a clear message when the
    ballot is not open, the voter is not in the electorate, or the vote breaks
    a rule (recusal, more than 1000 points)."""
    with transaction.atomic():
        locked = Ballot.objects.select_for_update(of=("self",)).get(pk=ballot.pk)
        _check_open(locked, at)
        if points_error:
            raise GovernanceError(points_error)
        options = {int(s["seat"]): s for s in selectors.seats_for(ballot=locked, user=voter)}
        if not options:
            raise GovernanceError(_("You are not in the electorate of this ballot."))
        if seat_id is None:
            own = [s for s, e in options.items() if e["role"] == "holder"]
            seat_id = own[0] if own else min(options)
        elif seat_id not in options:
            raise GovernanceError(_("You cannot vote for this seat."))
        entry = options[seat_id]
        clean_choice, clean_points = _vote_content(locked, entry, voter, choice, points)
        existing = Vote.objects.filter(ballot=locked, seat_id=seat_id).first()
        if (
            existing is not None
            and existing.cast_by_id == voter.pk
            and existing.choice == clean_choice
            and existing.points == clean_points
        ):
            return existing
        version = 1 if existing is None else existing.version + 1
        receipt = _receipt(
            {
                "ballot": locked.pk,
                "seat": seat_id,
                "member": entry["holder"],
                "cast_by": voter.pk,
                "choice": clean_choice,
                "points": clean_points,
                "version": version,
                "at": at.isoformat(),
                # A secret salt, so that nobody can guess a vote from its receipt
                # before closing by hashing the few possible choices.
                "salt": secrets.token_hex(16),
            }
        )
        values = {
            "member_id": entry["holder"],
            "cast_by": voter,
            "choice": clean_choice,
            "points": clean_points,
            "receipt": receipt,
            "version": version,
            "cast_at": at,
        }
        if existing is None:
            try:
                with transaction.atomic():
                    vote = Vote.objects.create(ballot=locked, seat_id=seat_id, **values)
            except IntegrityError:
                raise GovernanceError(_("This vote was just recorded; reload the page.")) from None
        else:
            for field, value in values.items():
                setattr(existing, field, value)
            existing.save()
            vote = existing
        if locked.settings_frozen_at is None:
            locked.settings_frozen_at = at
            locked.save(update_fields=["settings_frozen_at"])
        _event(
            locked,
            BallotEventKind.VOTE if version == 1 else BallotEventKind.CHANGE,
            at,
            voter,
            seat=seat_id,
            member=entry["holder"],
            role=entry["role"],
            receipt=receipt,
        )
        log_action(
            action="governance.vote.cast",
            obj=vote,
            actor=voter,
            data={"ballot": locked.pk, "seat": seat_id, "role": entry["role"], "receipt": receipt},
        )
        transaction.on_commit(lambda: _mail_receipt(locked, voter, receipt))
    return vote


def _vote_content(
    ballot: Ballot,
    entry: Mapping[str, Any],
    voter: Any,
    choice: str,
    points: Mapping[Any, int] | None,
) -> tuple[str, dict[str, int]]:
    recused = set(ballot.recusals.get(str(entry["holder"]), [])) | set(
        ballot.recusals.get(str(voter.pk), [])
    )
    if ballot.kind == BallotKind.ROUND:
        return "", _clean_points(points or {}, recused)
    if choice not in Choice.values:
        raise GovernanceError(_("Choose for, against or abstain."))
    if ballot.effect_project_id is not None and ballot.effect_project_id in recused:
        raise GovernanceError(RECUSED_MOTION)
    return str(choice), {}


def _clean_points(points: Mapping[Any, int], recused: set[int]) -> dict[str, int]:
    wanted = [_int(p) for p in points]
    fundable = set(Project.objects.fundable().filter(pk__in=wanted).values_list("pk", flat=True))
    clean: dict[str, int] = {}
    for raw_project, raw_value in points.items():
        project, value = _int(raw_project), raw_value
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise GovernanceError(_("Points are whole numbers, zero or more."))
        if value == 0:
            continue
        if project not in fundable:
            raise GovernanceError(_("Points go only to admitted projects."))
        if project in recused:
            raise GovernanceError(RECUSED_POINTS)
        clean[str(project)] = value
    if sum(clean.values()) > ROUND_POINTS:
        raise GovernanceError(_("You may place at most %(max)d points.") % {"max": ROUND_POINTS})
    return dict(sorted(clean.items(), key=lambda item: int(item[0])))


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise GovernanceError(_("Unknown project.")) from None


def ballots_close_due(*, now: datetime) -> int:
    closed = 0
    for ballot in Ballot.objects.filter(status=BallotStatus.OPEN, closes_at__lte=now):
        ballot_close(ballot=ballot, at=now)
        closed += 1
    return closed


def ballots_open_due(*, now: datetime) -> int:
    """Open the draft ballots whose scheduled opening time has come."""
    opened = 0
    for ballot in Ballot.objects.filter(status=BallotStatus.DRAFT, opens_at__lte=now):
        try:
            ballot_open(ballot=ballot, actor=None, at=now)
        except GovernanceError:
            continue
        opened += 1
    return opened


def ballot_reminders_send(*, now: datetime) -> int:
    """Remind the electorate a day before closing (once per ballot)."""
    sent = 0
    due = Ballot.objects.filter(
        status=BallotStatus.OPEN,
        reminder_sent_at__isnull=True,
        closes_at__gt=now,
        closes_at__lte=now + timedelta(days=1),
    )
    for ballot in due:
        with transaction.atomic():
            claimed = Ballot.objects.filter(pk=ballot.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
            if claimed:
                transaction.on_commit(lambda b=ballot: _mail_electorate(b, "reminder"))  # type: ignore[misc]
                sent += 1
    return sent


# --- Emails -------------------------------------------------------------------


def _site(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _mail_electorate(ballot: Ballot, what: str) -> None:
    from contributors.models import User  # noqa: PLC0415 -- avoid a cycle through contributors

    ids = {e["holder"] for e in ballot.electorate} | {
        e["substitute"] for e in ballot.electorate if e["substitute"]
    }
    emails = list(User.objects.filter(pk__in=ids).order_by("pk").values_list("email", flat=True))
    with translation.override(settings.LANGUAGE_CODE):
        if what == "opened":
            subject = gettext("Ballot open: %(title)s") % {"title": ballot.title}
            body = gettext("A ballot is open until %(closes)s. Vote here: %(url)s")
            url = _site(reverse("governance:ballot", args=[ballot.pk]))
        elif what == "reminder":
            subject = gettext("Reminder: ballot closing soon: %(title)s") % {"title": ballot.title}
            body = gettext("The ballot closes at %(closes)s. Vote here: %(url)s")
            url = _site(reverse("governance:ballot", args=[ballot.pk]))
        else:
            subject = gettext("Results released: %(title)s") % {"title": ballot.title}
            body = gettext("The results are published in the decision register: %(url)s")
            url = _site(reverse("governance:decision", args=[ballot.pk]))
        text = body % {
            "closes": f"{timezone.localtime(ballot.closes_at):%Y-%m-%d %H:%M}",
            "url": url,
        }
    for email in emails:
        send_mail(subject, text, None, [email])


def _mail_receipt(ballot: Ballot, voter: Any, receipt: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("Your vote receipt: %(title)s") % {"title": ballot.title}
        text = gettext("Your vote was recorded. Receipt: %(receipt)s") % {"receipt": receipt}
    send_mail(subject, text, None, [voter.email])


def meeting_record(
    *, held_on_date: date, title: str, agenda: str, attendees: list[Any], actor: Any
) -> Meeting:
    meeting = Meeting.objects.create(held_on_date=held_on_date, title=title, agenda=agenda)
    meeting.attendees.set(attendees)
    log_action(action="governance.meeting.recorded", obj=meeting, actor=actor)
    return meeting
