"""Ballots: creation, opening, closing, release into the register, and their effects."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funds import services as fund_services
from funds.enums import FundSettingKey
from governance import selectors, tally
from governance.enums import (
    QUALIFIED_EFFECTS,
    ROUND_POINTS,
    BallotEventKind,
    BallotKind,
    BallotStatus,
    CollegeCode,
    Majority,
    MotionEffect,
)
from governance.errors import GovernanceError
from governance.models import (
    Ballot,
    BallotEvent,
    College,
    DecisionCounter,
    Meeting,
)
from governance.services.colleges import college_weights_set
from governance.services.errors import WEIGHTS_REFUSED
from governance.services.mail import _mail_electorate
from librery.models import PublicationKind
from librery.pagecache import public_pages_changed
from librery.publication import public_path
from librery.services import log_action, publication_append
from librery.transitions import transition
from projects import services as project_services
from projects.models import Project

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

    def prepare(locked: Ballot) -> tuple[str, ...]:
        public_pages_changed()  # the register shows ballots in progress and decisions
        if to == BallotStatus.OPEN:
            _freeze(locked, at)
            return _FREEZE_FIELDS
        if to == BallotStatus.CLOSED and at < locked.closes_at:
            raise GovernanceError(_("This ballot closes at its closing time, not before."))
        if to == BallotStatus.RELEASED:
            _release(locked, at, actor)
            return _RELEASE_FIELDS
        return ()

    return transition(
        instance=ballot,
        to_status=to,
        transitions=ALLOWED_TRANSITIONS,
        action=f"governance.ballot.{to}",
        actor=actor,
        prepare=prepare,
        event=lambda locked, _previous: _event(locked, _TRANSITION_EVENTS[to], at, actor),
        error_cls=GovernanceError,
        message=lambda locked, new: _("This ballot cannot go from %(old)s to %(new)s.")
        % {"old": locked.get_status_display(), "new": BallotStatus(new).label},
    )


_TRANSITION_EVENTS = {
    BallotStatus.OPEN: BallotEventKind.OPENED,
    BallotStatus.CLOSED: BallotEventKind.CLOSED,
    BallotStatus.RELEASED: BallotEventKind.RELEASED,
}
# What opening (`_freeze`) and releasing (`_release`) write on the ballot.
_FREEZE_FIELDS = ("opens_at", "electorate", "electorate_fingerprint", "recusals", "frozen_settings")
_RELEASE_FIELDS = (
    "result",
    "bundle",
    "bundle_hash",
    "adopted",
    "released_at",
    "decision_number",
)


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
        _mail_electorate(opened, "opened")  # enqueued after the commit
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
        _mail_electorate(released, "released")  # enqueued after the commit
    return released


def receipt_time(at: datetime) -> str:
    """The time a receipt hashes (and the bundle publishes): ISO 8601 in UTC."""
    return at.astimezone(UTC).isoformat()


def vote_rows(ballot: Ballot) -> list[dict[str, Any]]:
    """The votes as the released bundle publishes them: with each receipt's
    version, time and salt, so that anyone can recompute every receipt."""
    return [
        {
            "seat": v.seat_id,
            "member": v.member_id,
            "cast_by": v.cast_by_id,
            "choice": v.choice,
            "points": dict(sorted(v.points.items())),
            "receipt": v.receipt,
            "version": v.version,
            "cast_at": receipt_time(v.cast_at),
            "salt": v.salt,
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
    """The next number of the month of `at` (``2026-03/2``), from the month's
    locked counter: never given twice, even when a ballot is deleted."""
    period = f"{timezone.localtime(at):%Y-%m}"
    DecisionCounter.objects.get_or_create(period=period)
    counter = DecisionCounter.objects.select_for_update().get(period=period)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{period}/{counter.last_number}"


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
    publication_append(
        kind=PublicationKind.BALLOT,
        reference=str(ballot.pk),
        url=public_path("governance:bundle", ballot.pk),
        sha256=ballot.bundle_hash,
        at=at,
    )


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
        change(project=project, actor=actor, reference=reference, ballot=ballot.pk)
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
                _mail_electorate(ballot, "reminder")  # enqueued after the commit
                sent += 1
    return sent
