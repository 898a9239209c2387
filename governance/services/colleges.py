"""Colleges, weights, seats, mandates, declared interests and meetings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from governance import tally
from governance.enums import (
    DEFAULT_COLLEGES,
    STATUTES_REFERENCE,
    CollegeCode,
    InterestKind,
)
from governance.models import (
    College,
    CollegeWeight,
    DeclaredInterest,
    Mandate,
    Meeting,
    Seat,
)
from governance.services.errors import WEIGHTS_REFUSED, GovernanceError
from librery.services import log_action
from projects.models import Project

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


def meeting_record(
    *, held_on_date: date, title: str, agenda: str, attendees: list[Any], actor: Any
) -> Meeting:
    meeting = Meeting.objects.create(held_on_date=held_on_date, title=title, agenda=agenda)
    meeting.attendees.set(attendees)
    log_action(action="governance.meeting.recorded", obj=meeting, actor=actor)
    return meeting
