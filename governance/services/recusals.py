"""Declared interests applied at once: a recusal reaches the ballots already open.

A ballot freezes its recusals when it opens; an interest declared while it is
open is added to them straight away, so the person can no longer vote on that
project there. A vote already cast that the recusal forbids is changed (a round
loses the points placed on the project, with a new receipt) or withdrawn (a
motion concerning the project), so that the tally never meets a forbidden vote."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from governance.enums import BallotEventKind, BallotKind, BallotStatus, InterestKind
from governance.models import Ballot, DeclaredInterest, Vote
from governance.services.ballots import _event, receipt_time
from governance.services.colleges import interest_declare as _interest_record
from governance.services.mail import _mail_receipt
from governance.services.votes import _receipt
from librery.services import log_action
from projects.models import Project


def interest_declare(
    *, user: Any, project: Project, kind: InterestKind | str, note: str = "", actor: Any = None
) -> DeclaredInterest:
    """Declare an interest in a project: the person is recused from every item
    concerning it, in the ballots open now and in those opened from now on."""
    with transaction.atomic():
        interest = _interest_record(user=user, project=project, kind=kind, note=note, actor=actor)
        recusal_apply_to_open_ballots(user=user, project=project, at=timezone.now())
    return interest


def _people(ballot: Ballot) -> set[int]:
    people: set[int] = set()
    for entry in ballot.electorate:
        people.add(int(entry["holder"]))
        if entry.get("substitute"):
            people.add(int(entry["substitute"]))
    return people


def recusal_apply_to_open_ballots(*, user: Any, project: Project, at: datetime) -> list[int]:
    """Add `project` to `user`'s recusals in every open ballot they vote in;
    returns the ids of the ballots changed."""
    changed: list[int] = []
    with transaction.atomic():
        open_ids = list(
            Ballot.objects.filter(status=BallotStatus.OPEN, closes_at__gt=at)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for ballot in Ballot.objects.select_for_update(of=("self",)).filter(pk__in=open_ids):
            key = str(user.pk)
            recused = [int(p) for p in ballot.recusals.get(key, [])]
            if project.pk in recused or user.pk not in _people(ballot):
                continue
            ballot.recusals = {**ballot.recusals, key: sorted({*recused, project.pk})}
            ballot.save(update_fields=["recusals"])
            _event(ballot, BallotEventKind.RECUSAL, at, user, user=user.pk, project=project.pk)
            _votes_follow_recusal(ballot=ballot, user=user, project=project, at=at)
            changed.append(ballot.pk)
    return changed


def _votes_follow_recusal(*, ballot: Ballot, user: Any, project: Project, at: datetime) -> None:
    votes = (
        Vote.objects.select_for_update(of=("self",))
        .select_related("cast_by")
        .filter(Q(member_id=user.pk) | Q(cast_by_id=user.pk), ballot=ballot)
        .order_by("pk")
    )
    for vote in votes:
        if ballot.kind == BallotKind.ROUND:
            if str(project.pk) in vote.points:
                _vote_drop_project(ballot=ballot, vote=vote, project=project, at=at)
        elif ballot.effect_project_id == project.pk:
            _event(
                ballot,
                BallotEventKind.RECUSAL,
                at,
                user,
                seat=vote.seat_id,
                user=user.pk,
                project=project.pk,
                withdrawn=vote.receipt,
            )
            log_action(
                action="governance.vote.withdrawn",
                obj=ballot,
                actor=user,
                data={"seat": vote.seat_id, "receipt": vote.receipt, "reason": "recusal"},
            )
            vote.delete()


def _vote_drop_project(*, ballot: Ballot, vote: Vote, project: Project, at: datetime) -> None:
    """The round vote without the points placed on `project`: a new version and receipt."""
    points = {p: n for p, n in vote.points.items() if p != str(project.pk)}
    version = vote.version + 1
    salt = secrets.token_hex(16)
    receipt = _receipt(
        {
            "ballot": ballot.pk,
            "seat": vote.seat_id,
            "member": vote.member_id,
            "cast_by": vote.cast_by_id,
            "choice": vote.choice,
            "points": points,
            "version": version,
            "at": receipt_time(at),
            "salt": salt,
        }
    )
    vote.points = points
    vote.version = version
    vote.salt = salt
    vote.receipt = receipt
    vote.cast_at = at
    vote.save(update_fields=["points", "version", "salt", "receipt", "cast_at"])
    _event(
        ballot,
        BallotEventKind.CHANGE,
        at,
        None,
        seat=vote.seat_id,
        member=vote.member_id,
        reason="recusal",
        project=project.pk,
        receipt=receipt,
    )
    log_action(
        action="governance.vote.changed",
        obj=vote,
        actor=vote.cast_by,
        data={"ballot": ballot.pk, "seat": vote.seat_id, "reason": "recusal", "receipt": receipt},
    )
    _mail_receipt(ballot, vote.cast_by, receipt)
