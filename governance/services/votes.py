"""Votes and proxies: cast by seat holders while a ballot is open, with a receipt."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from governance import selectors, tally
from governance.enums import (
    ROUND_POINTS,
    BallotEventKind,
    BallotKind,
    BallotStatus,
    Choice,
)
from governance.models import (
    Ballot,
    Proxy,
    Vote,
)
from governance.services.ballots import _event, receipt_time
from governance.services.errors import RECUSED_MOTION, RECUSED_POINTS, GovernanceError
from governance.services.mail import _mail_receipt
from librery.services import log_action
from projects.models import Project


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
        # A salt kept secret until release, so that nobody can guess a vote from
        # its receipt by hashing the few possible choices; the released bundle
        # publishes it, so that anyone can then recompute every receipt.
        salt = secrets.token_hex(16)
        receipt = _receipt(
            {
                "ballot": locked.pk,
                "seat": seat_id,
                "member": entry["holder"],
                "cast_by": voter.pk,
                "choice": clean_choice,
                "points": clean_points,
                "version": version,
                "at": receipt_time(at),
                "salt": salt,
            }
        )
        values = {
            "member_id": entry["holder"],
            "cast_by": voter,
            "choice": clean_choice,
            "points": clean_points,
            "receipt": receipt,
            "salt": salt,
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
        _mail_receipt(locked, voter, receipt)  # enqueued after the commit
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
