"""The tally rules of governance.md, as pure functions over plain data.

Everything here works on JSON-able data (the published bundle) and exact
fractions, so that anyone can recompute a published result:

- electorate: ``[{"seat": int, "college": str, "holder": int, "substitute": int | None}]``
- recusals: ``{"<user id>": [project ids]}`` (interests frozen at opening)
- votes: ``[{"seat": int, "member": int, "cast_by": int, "choice": str,
  "points": {"<project id>": int}}]``
- settings: ``{"kind": "motion" | "round", "majority": "ordinary" | "qualified",
  "weights": {college: bp}, "commoners": college, "project": int | None,
  "points": 1000}``
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from governance.errors import GovernanceError

TOTAL_WEIGHT_BP = 10_000
ONE_HALF = Fraction(1, 2)
TWO_THIRDS = Fraction(2, 3)


class TallyError(GovernanceError):
    """The data cannot be tallied (a vote outside the rules); the message says why."""


def frac_str(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def parse_frac(text: str) -> Fraction:
    numerator, _, denominator = text.partition("/")
    return Fraction(int(numerator), int(denominator or "1"))


def _no_floats(value: Any) -> None:
    if isinstance(value, float):
        raise TallyError("Floats are not allowed in canonical data.")
    if isinstance(value, Mapping):
        for item in value.values():
            _no_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _no_floats(item)


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, no floats: the bytes whose SHA-256 is published."""
    _no_floats(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def electorate_fingerprint(electorate: Sequence[Mapping[str, Any]]) -> str:
    return sha256_hex(sorted(electorate, key=lambda entry: int(entry["seat"])))


def weights_error(weights: Mapping[str, int], *, commoners: str) -> str | None:
    """Why a set of college weights is refused, or None when it is acceptable."""
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in weights.values()):
        return "Each weight must be a whole number of basis points, zero or more."
    if sum(weights.values()) != TOTAL_WEIGHT_BP:
        return f"The weights must sum to {TOTAL_WEIGHT_BP} basis points."
    if weights.get(commoners, 0) * 2 <= TOTAL_WEIGHT_BP:
        return "The commoners' college must weigh more than half."
    return None


def _recused(recusals: Mapping[str, Iterable[int]], user: int) -> set[int]:
    return {int(p) for p in recusals.get(str(user), ())}


def _check_votes(
    electorate: Sequence[Mapping[str, Any]], votes: Sequence[Mapping[str, Any]]
) -> dict[int, Mapping[str, Any]]:
    seats = {int(entry["seat"]): entry for entry in electorate}
    by_seat: dict[int, Mapping[str, Any]] = {}
    for vote in votes:
        seat = int(vote["seat"])
        if seat not in seats:
            raise TallyError(f"Seat {seat} is not in the electorate.")
        if seat in by_seat:
            raise TallyError(f"Seat {seat} has two votes.")
        if int(vote["member"]) != int(seats[seat]["holder"]):
            raise TallyError(f"The vote of seat {seat} is not in its holder's name.")
        by_seat[seat] = vote
    return by_seat


def _quorate(voted: int, members: int) -> bool:
    return members > 0 and voted * 2 > members


def _valid(quorate: Mapping[str, bool], weights: Mapping[str, int], commoners: str) -> bool:
    quorate_weight = sum(weights[c] for c, ok in quorate.items() if ok)
    return bool(quorate.get(commoners)) and quorate_weight * 2 > TOTAL_WEIGHT_BP


def tally_motion(
    *,
    settings: Mapping[str, Any],
    electorate: Sequence[Mapping[str, Any]],
    recusals: Mapping[str, Iterable[int]],
    votes: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """College quorum, college-weighted support, validity and the majority rule."""
    weights: Mapping[str, int] = settings["weights"]
    commoners: str = settings["commoners"]
    project = settings.get("project")
    by_seat = _check_votes(electorate, votes)
    colleges: dict[str, dict[str, Any]] = {
        c: {"members": 0, "voted": 0, "for": 0, "against": 0, "abstain": 0} for c in weights
    }
    for entry in electorate:
        seat = int(entry["seat"])
        recused = project is not None and int(project) in _recused(recusals, entry["holder"])
        vote = by_seat.get(seat)
        if recused:
            if vote is not None:
                raise TallyError(f"Seat {seat} is recused and cannot vote.")
            continue
        row = colleges[entry["college"]]
        row["members"] += 1
        if vote is not None:
            choice = vote["choice"]
            if choice not in ("for", "against", "abstain"):
                raise TallyError(f"Unknown choice {choice!r}.")
            row["voted"] += 1
            row[choice] += 1

    counted: dict[str, Fraction] = {}
    quorate: dict[str, bool] = {}
    for code, row in colleges.items():
        quorate[code] = row["quorate"] = _quorate(row["voted"], row["members"])
        expressed = row["for"] + row["against"]
        if row["quorate"] and expressed:
            counted[code] = Fraction(row["for"], expressed)
        row["support"] = frac_str(counted[code]) if code in counted else None
    valid = _valid(quorate, weights, commoners)
    support: Fraction | None = None
    counted_weight = sum(weights[c] for c in counted)
    if counted and counted_weight:
        support = sum((weights[c] * s for c, s in counted.items()), Fraction(0)) / counted_weight
    adopted = valid and _adopted(settings, support, counted)
    return {
        "colleges": colleges,
        "valid": valid,
        "support": None if support is None else frac_str(support),
        "adopted": adopted,
    }


def _round_points(
    vote: Mapping[str, Any],
    entry: Mapping[str, Any],
    recusals: Mapping[str, Iterable[int]],
    budget: int,
) -> dict[int, int]:
    points = {int(p): n for p, n in vote["points"].items()}
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in points.values()):
        raise TallyError("Points must be whole numbers, zero or more.")
    if sum(points.values()) > budget:
        raise TallyError(f"A voter may place at most {budget} points.")
    recused = _recused(recusals, entry["holder"]) | _recused(recusals, vote["cast_by"])
    if recused & {p for p, n in points.items() if n}:
        raise TallyError(f"Seat {entry['seat']} placed points on a recused project.")
    return points


def _adopted(
    settings: Mapping[str, Any], support: Fraction | None, counted: Mapping[str, Fraction]
) -> bool:
    if support is None:
        return False
    if settings.get("majority") == "qualified":
        commoners = counted.get(settings["commoners"], Fraction(0))
        return support >= TWO_THIRDS and commoners > ONE_HALF
    return support > ONE_HALF


def tally_round(
    *,
    settings: Mapping[str, Any],
    electorate: Sequence[Mapping[str, Any]],
    recusals: Mapping[str, Iterable[int]],
    votes: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The dot vote: each quorate college shares exactly its weight between the
    voters who cast a ballot, each voter's slice by their points out of 1000."""
    weights: Mapping[str, int] = settings["weights"]
    commoners: str = settings["commoners"]
    budget = int(settings.get("points", 1000))
    by_seat = _check_votes(electorate, votes)
    colleges: dict[str, dict[str, Any]] = {c: {"members": 0, "voted": 0} for c in weights}
    points_by_college: dict[str, list[dict[int, int]]] = {c: [] for c in weights}
    for entry in electorate:
        row = colleges[entry["college"]]
        row["members"] += 1
        vote = by_seat.get(int(entry["seat"]))
        if vote is None:
            continue
        points = _round_points(vote, entry, recusals, budget)
        row["voted"] += 1
        points_by_college[entry["college"]].append(points)

    quorate = {c: _quorate(r["voted"], r["members"]) for c, r in colleges.items()}
    for code, row in colleges.items():
        row["quorate"] = quorate[code]
    valid = _valid(quorate, weights, commoners)
    shares: dict[int, Fraction] = {}
    if valid:
        for code, ballots in points_by_college.items():
            if not quorate[code]:
                continue
            slice_ = Fraction(weights[code], TOTAL_WEIGHT_BP) / len(ballots)
            for points in ballots:
                for project, n in points.items():
                    share = slice_ * Fraction(n, budget)
                    shares[project] = shares.get(project, Fraction(0)) + share
    shares = {p: f for p, f in shares.items() if f}
    total = sum(shares.values(), Fraction(0))
    return {
        "colleges": colleges,
        "valid": valid,
        "adopted": valid,
        "shares": {str(p): frac_str(shares[p]) for p in sorted(shares)},
        "total": frac_str(total),
    }


def tally(
    *,
    settings: Mapping[str, Any],
    electorate: Sequence[Mapping[str, Any]],
    recusals: Mapping[str, Iterable[int]],
    votes: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    function = tally_round if settings["kind"] == "round" else tally_motion
    return function(settings=settings, electorate=electorate, recusals=recusals, votes=votes)


def bundle_recompute(bundle: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """Recompute a published bundle: (matches, reasons it does not)."""
    problems: list[str] = []
    try:
        if electorate_fingerprint(bundle["electorate"]) != bundle["electorate_fingerprint"]:
            problems.append("electorate fingerprint differs")
        result = tally(
            settings=bundle["settings"],
            electorate=bundle["electorate"],
            recusals=bundle["recusals"],
            votes=bundle["votes"],
        )
    except (KeyError, TypeError, ValueError) as exc:
        return False, [f"bundle cannot be tallied: {exc}"]
    if result != bundle.get("result"):
        problems.append("result differs")
    return not problems, problems
