"""governance: reads used in several places."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from django.db.models import QuerySet

from funds import selectors as fund_selectors
from governance.enums import BallotKind, BallotStatus, CollegeCode
from governance.models import (
    Ballot,
    College,
    CollegeWeight,
    DeclaredInterest,
    Mandate,
    Seat,
    Vote,
)
from governance.tally import parse_frac
from projects.models import Maintainership

# The JSON columns a list never shows: loaded only on a ballot's own page.
BALLOT_HEAVY_COLUMNS = ("electorate", "frozen_settings", "recusals", "result", "bundle")


def released_decisions() -> QuerySet[Ballot]:
    """The decision register's rows, newest first, without the ballots' JSON."""
    return (
        Ballot.objects.filter(status=BallotStatus.RELEASED)
        .defer(*BALLOT_HEAVY_COLUMNS)
        .order_by("-released_at", "-id")
    )


def ballots_in_progress() -> QuerySet[Ballot]:
    """Ballots open or closed and not yet released, the soonest to close first."""
    return (
        Ballot.objects.filter(status__in=[BallotStatus.OPEN, BallotStatus.CLOSED])
        .defer(*BALLOT_HEAVY_COLUMNS)
        .order_by("closes_at", "id")
    )


@dataclass(frozen=True)
class PoolShares:
    """The adopted pool allocation round in force: exact fraction per project."""

    ballot_id: int
    number: str
    shares: dict[int, Fraction]


def college_weights_at(*, at: datetime) -> dict[str, int]:
    """Each college's weight (bp) in force at `at` (the latest value per college)."""
    result: dict[str, int] = {}
    rows = (
        CollegeWeight.objects.filter(effective_at__lte=at)
        .order_by("college_id", "-effective_at", "-id")
        .values_list("college__code", "weight_bp")
    )
    for code, weight in rows:
        result.setdefault(code, weight)
    return result


def colleges_with_weights(*, at: datetime) -> list[tuple[College, int | None]]:
    weights = college_weights_at(at=at)
    return [(c, weights.get(c.code)) for c in College.objects.order_by("id")]


def seats_with_mandates(*, on: date) -> list[tuple[Seat, Mandate | None]]:
    """Every seat within its college's number, with its mandate in force (None: vacant)."""
    mandates = {m.seat_id: m for m in mandates_in_force(on=on)}
    seats = Seat.objects.select_related("college").order_by("college_id", "number")
    return [(s, mandates.get(s.pk)) for s in seats if s.number <= s.college.seat_count]


def mandates_in_force(*, on: date) -> QuerySet[Mandate]:
    return Mandate.objects.in_force(on).select_related("seat__college", "holder", "substitute")


def electorate_on(*, on: date) -> list[dict[str, Any]]:
    """The seated members on `on`: one entry per seat with a mandate in force."""
    return [
        {
            "seat": m.seat_id,
            "college": m.seat.college.code,
            "holder": m.holder_id,
            "substitute": m.substitute_id,
        }
        for m in mandates_in_force(on=on).order_by("seat_id")
    ]


def recusals_for(*, user_ids: Iterable[int]) -> dict[str, list[int]]:
    """Projects each person has an interest in: maintainership counts on its own,
    plus declared interests."""
    ids = set(user_ids)
    result: dict[int, set[int]] = {}
    for user_id, project_id in Maintainership.objects.filter(user_id__in=ids).values_list(
        "user_id", "project_id"
    ):
        result.setdefault(user_id, set()).add(project_id)
    for user_id, project_id in DeclaredInterest.objects.filter(user_id__in=ids).values_list(
        "user_id", "project_id"
    ):
        result.setdefault(user_id, set()).add(project_id)
    return {str(u): sorted(p) for u, p in sorted(result.items())}


def pool_shares_in_force(*, at: datetime) -> PoolShares | None:
    """The adopted round in force at `at` (the latest released before it)."""
    ballot = (
        Ballot.objects.filter(
            kind=BallotKind.ROUND,
            status=BallotStatus.RELEASED,
            adopted=True,
            released_at__lte=at,
        )
        .order_by("-released_at", "-id")
        .only("id", "decision_number", "result")
        .first()
    )
    if ballot is None:
        return None
    shares = {int(p): parse_frac(f) for p, f in ballot.result.get("shares", {}).items()}
    return PoolShares(ballot_id=ballot.pk, number=ballot.decision_number or "", shares=shares)


def current_pool_cents() -> int:
    """The common pool's balance, from the ledger."""
    return fund_selectors.pool_balance_cents()


def seats_for(*, ballot: Ballot, user: Any) -> list[dict[str, Any]]:
    """The seats `user` may vote for in `ballot`, each with the role: holder,
    substitute (when the holder is absent) or proxy."""
    if not getattr(user, "is_authenticated", False):
        return []
    proxies = {p.seat_id: p for p in ballot.proxies.all()}
    personal = {v.seat_id for v in ballot.votes.all() if v.cast_by_id == v.member_id}
    result = []
    for entry in ballot.electorate:
        seat = int(entry["seat"])
        if entry["holder"] == user.pk:
            result.append({**entry, "role": "holder"})
        elif entry["substitute"] == user.pk and seat not in proxies and seat not in personal:
            result.append({**entry, "role": "substitute"})
        elif seat in proxies and proxies[seat].holder_id == user.pk:
            result.append({**entry, "role": "proxy"})
    return result


@dataclass(frozen=True)
class MyVote:
    """Where a portal user stands on an open ballot: the seats they vote for as
    holder or proxy (not a seat whose proxy they gave), how many of those have
    a vote in force, whether they may stand in as a substitute, and whether
    they gave their proxy."""

    seats: int
    voted: int
    substitute: bool
    proxy_given: bool = False

    @property
    def due(self) -> bool:
        return self.voted < self.seats


def portal_ballots(*, user: Any, limit: int = 50) -> list[tuple[Ballot, MyVote | None]]:
    """The portal's ballots, latest closing first, each open one with `MyVote`
    (None for the others): four queries, whatever the number of ballots."""
    ballots = list(
        Ballot.objects.exclude(status=BallotStatus.DRAFT)
        .defer(*BALLOT_HEAVY_COLUMNS)
        .order_by("-closes_at", "-id")[:limit]
    )
    open_ids = [ballot.pk for ballot in ballots if ballot.status == BallotStatus.OPEN]
    mine: dict[int, MyVote] = {}
    for ballot in (
        Ballot.objects.filter(pk__in=open_ids)
        .only("id", "electorate")
        .prefetch_related("proxies", "votes")
    ):
        entries = seats_for(ballot=ballot, user=user)
        given = {proxy.seat_id for proxy in ballot.proxies.all() if proxy.giver_id == user.pk}
        seats = {int(entry["seat"]) for entry in entries if entry["role"] != "substitute"}
        voted = {vote.seat_id for vote in ballot.votes.all()}
        mine[ballot.pk] = MyVote(
            seats=len(seats - given),
            voted=len((seats - given) & voted),
            substitute=any(entry["role"] == "substitute" for entry in entries),
            proxy_given=bool(given),
        )
    return [(ballot, mine.get(ballot.pk)) for ballot in ballots]


def previous_round_points(*, user: Any, before: Ballot) -> dict[str, int]:
    """The points the user placed in their latest earlier round, to start from."""
    vote = (
        Vote.objects.filter(
            ballot__kind=BallotKind.ROUND, member=user, ballot__closes_at__lt=before.closes_at
        )
        .exclude(ballot=before)
        .order_by("-ballot__closes_at", "-id")
        .only("points")
        .first()
    )
    return dict(vote.points) if vote is not None else {}


def commoners_code() -> str:
    return CollegeCode.COMMONERS.value
