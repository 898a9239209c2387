"""The tally rules of governance.md, on hand-checked and random cases."""

from __future__ import annotations

import json
import random
from fractions import Fraction
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance import tally

pytestmark = pytest.mark.unit

WEIGHTS = {"commoners": 5100, "public": 1700, "private": 1700, "scientific": 1500}


def body(**seats: int) -> list[dict[str, Any]]:
    """An electorate: seat ids numbered from 1, holder id = seat id x 10."""
    electorate = []
    number = 0
    for college in WEIGHTS:
        for _ in range(seats.get(college, 0)):
            number += 1
            electorate.append(
                {"seat": number, "college": college, "holder": number * 10, "substitute": None}
            )
    return electorate


def settings_for(
    kind: str, majority: str = "ordinary", project: int | None = None
) -> dict[str, Any]:
    return {
        "kind": kind,
        "majority": majority,
        "weights": WEIGHTS,
        "commoners": "commoners",
        "project": project,
        "points": 1000,
    }


def motion_votes(choices: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {"seat": s, "member": s * 10, "cast_by": s * 10, "choice": c, "points": {}}
        for s, c in choices.items()
    ]


def round_votes(points: dict[int, dict[str, int]]) -> list[dict[str, Any]]:
    return [
        {"seat": s, "member": s * 10, "cast_by": s * 10, "choice": "", "points": p}
        for s, p in points.items()
    ]


def motion(
    electorate: list[dict[str, Any]], choices: dict[int, str], **kwargs: Any
) -> dict[str, Any]:
    recusals = kwargs.pop("recusals", {})
    return tally.tally_motion(
        settings=settings_for("motion", **kwargs),
        electorate=electorate,
        recusals=recusals,
        votes=motion_votes(choices),
    )


# Seats: commoners 1-3, public 4-6, private 7-9, scientific 10-11.
STANDARD = body(commoners=3, public=3, private=3, scientific=2)


def test_round_hand_checked_with_a_non_quorate_college_share_staying_in_the_pool() -> None:
    result = tally.tally_round(
        settings=settings_for("round"),
        electorate=STANDARD,
        recusals={},
        votes=round_votes(
            {
                1: {"1": 1000},
                2: {"1": 500, "2": 500},
                3: {},  # a blank ballot counts for the quorum
                4: {"2": 1000},
                5: {"2": 1000},
                7: {"1": 1000},  # private: 1 of 3, not quorate
                10: {"1": 1000},  # scientific: 1 of 2 is exactly half, not quorate
            }
        ),
    )
    assert result["valid"] is True
    assert result["shares"] == {"1": "51/200", "2": "51/200"}
    assert result["total"] == "51/100"
    assert [c["quorate"] for c in result["colleges"].values()] == [True, True, False, False]


def test_round_invalid_without_quorate_commoners_gives_nothing() -> None:
    result = tally.tally_round(
        settings=settings_for("round"),
        electorate=STANDARD,
        recusals={},
        votes=round_votes({1: {"1": 1000}, 4: {"1": 1000}, 5: {"1": 1000}}),
    )
    assert result["valid"] is False
    assert result["shares"] == {}
    assert result["total"] == "0/1"


def test_round_college_of_one_is_quorate_and_controls_its_weight() -> None:
    electorate = body(commoners=1, scientific=1)
    result = tally.tally_round(
        settings=settings_for("round"),
        electorate=electorate,
        recusals={},
        votes=round_votes({1: {"5": 1000}, 2: {"6": 250}}),
    )
    assert result["shares"] == {"5": "51/100", "6": "3/80"}  # 0.15 x 0.25 = 3/80


def test_round_refuses_points_on_a_recused_project_even_through_a_substitute() -> None:
    votes = round_votes({1: {"9": 10}})
    votes[0]["cast_by"] = 77
    with pytest.raises(tally.TallyError, match="recused"):
        tally.tally_round(
            settings=settings_for("round"),
            electorate=STANDARD,
            recusals={"77": [9]},
            votes=votes,
        )
    with pytest.raises(tally.TallyError, match="at most 1000"):
        tally.tally_round(
            settings=settings_for("round"),
            electorate=STANDARD,
            recusals={},
            votes=round_votes({1: {"9": 600, "8": 401}}),
        )


def test_proxy_vote_counts_for_the_member_seat() -> None:
    votes = motion_votes({1: "for", 2: "for", 4: "for", 5: "against"})
    votes[1]["cast_by"] = 10  # seat 1's holder casts seat 2's ballot as proxy
    result = tally.tally_motion(
        settings=settings_for("motion"), electorate=STANDARD, recusals={}, votes=votes
    )
    assert result["colleges"]["commoners"]["voted"] == 2
    assert result["support"] == "7/8"  # (5100 x 1 + 1700 x 1/2) / 6800
    assert result["adopted"] is True


@pytest.mark.parametrize(
    ("voters", "quorate"),
    [(1, False), (2, False), (3, True), (4, True)],
)
def test_quorum_edges_in_a_college_of_four(voters: int, quorate: bool) -> None:
    electorate = body(commoners=4)
    result = motion(electorate, dict.fromkeys(range(1, voters + 1), "for"))
    assert result["colleges"]["commoners"]["quorate"] is quorate
    assert result["valid"] is quorate  # commoners alone weigh 5100 > half
    assert result["adopted"] is quorate


def test_all_abstentions_leave_a_college_out_of_the_support() -> None:
    result = motion(STANDARD, {1: "abstain", 2: "abstain", 4: "for", 5: "for"})
    assert result["valid"] is True
    assert result["colleges"]["commoners"]["support"] is None
    assert result["support"] == "1/1"
    assert result["adopted"] is True
    qualified = motion(
        STANDARD, {1: "abstain", 2: "abstain", 4: "for", 5: "for"}, majority="qualified"
    )
    assert qualified["adopted"] is False  # the commoners' own support must exceed half
    everyone = motion(STANDARD, dict.fromkeys(range(1, 12), "abstain"))
    assert (everyone["valid"], everyone["support"], everyone["adopted"]) == (True, None, False)


def test_a_tie_fails() -> None:
    result = motion(body(commoners=4), {1: "for", 2: "for", 3: "against", 4: "against"})
    assert result["support"] == "1/2"
    assert result["adopted"] is False


def test_qualified_majority_hand_checked() -> None:
    choices = {1: "for", 2: "for", 3: "for", 4: "for", 5: "against", 6: "against"}
    result = motion(STANDARD, choices, majority="qualified")
    assert result["support"] == "5/6"
    assert result["adopted"] is True
    low = motion(
        STANDARD, {1: "for", 2: "for", 3: "against", 4: "for", 5: "for"}, majority="qualified"
    )
    # (5100 x 2/3 + 1700 x 1) / 6800 = 3/4, and commoners 2/3 > 1/2
    assert (low["support"], low["adopted"]) == ("3/4", True)
    split = motion(
        STANDARD, {1: "for", 2: "against", 3: "against", 4: "for", 5: "for"}, majority="qualified"
    )
    assert split["adopted"] is False  # commoners 1/3


def test_recused_members_leave_the_quorum_and_cannot_vote() -> None:
    electorate = body(commoners=3)
    recusals = {"10": [7], "20": [7]}
    result = motion(electorate, {3: "for"}, project=7, recusals=recusals)
    assert result["colleges"]["commoners"]["members"] == 1
    assert result["adopted"] is True
    with pytest.raises(tally.TallyError, match="recused"):
        motion(electorate, {1: "for", 3: "for"}, project=7, recusals=recusals)


def test_votes_outside_the_electorate_or_twice_are_refused() -> None:
    with pytest.raises(tally.TallyError, match="not in the electorate"):
        motion(body(commoners=1), {2: "for"})
    with pytest.raises(tally.TallyError, match="two votes"):
        tally.tally_motion(
            settings=settings_for("motion"),
            electorate=body(commoners=1),
            recusals={},
            votes=motion_votes({1: "for"}) * 2,
        )


def test_weights_are_refused_unless_they_sum_to_10000_with_commoners_over_half() -> None:
    assert tally.weights_error(WEIGHTS, commoners="commoners") is None
    assert "sum" in str(tally.weights_error({**WEIGHTS, "public": 1600}, commoners="commoners"))
    half = {"commoners": 5000, "public": 1700, "private": 1800, "scientific": 1500}
    assert "more than half" in str(tally.weights_error(half, commoners="commoners"))


def test_canonical_json_has_sorted_keys_and_refuses_floats() -> None:
    assert tally.canonical_json({"b": 1, "a": [2, "x"]}) == '{"a":[2,"x"],"b":1}'
    with pytest.raises(tally.TallyError):
        tally.canonical_json({"a": 0.5})


# --- Random cases -----------------------------------------------------------------

seat_counts = st.fixed_dictionaries({c: st.integers(min_value=1, max_value=4) for c in WEIGHTS})


def project_key(college_index: int, n: int) -> str:
    return str(100 * college_index + n)


@st.composite
def rounds(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    electorate = body(**draw(seat_counts))
    votes = []
    for entry in electorate:
        if not draw(st.booleans()):
            continue
        college_index = list(WEIGHTS).index(entry["college"])
        # Each college votes on its own projects (100 x index + 1..3), so that the
        # share each college controls can be read back from the result.
        points = draw(
            st.dictionaries(
                st.integers(1, 3).map(partial(project_key, college_index)),
                st.integers(0, 333),
                max_size=3,
            )
        )
        votes.append(
            {
                "seat": entry["seat"],
                "member": entry["holder"],
                "cast_by": entry["holder"],
                "choice": "",
                "points": points,
            }
        )
    return electorate, votes


@settings(max_examples=60, deadline=None)
@given(case=rounds(), seed=st.integers(0, 2**16))
def test_round_properties(case: tuple[list[Any], list[Any]], seed: int) -> None:
    electorate, votes = case
    result = tally.tally_round(
        settings=settings_for("round"), electorate=electorate, recusals={}, votes=votes
    )
    shares = {int(p): tally.parse_frac(f) for p, f in result["shares"].items()}
    assert sum(shares.values(), Fraction(0)) <= 1
    assert all(f > 0 for f in shares.values())
    # Each quorate college controls exactly its weight: its voters' used points
    # out of 1000, averaged over the voters, times the weight.
    for index, (college, weight) in enumerate(WEIGHTS.items()):
        own = [v for v in votes if electorate[v["seat"] - 1]["college"] == college]
        given_ = sum(
            (shares.get(p, Fraction(0)) for p in range(100 * index + 1, 100 * index + 4)),
            Fraction(0),
        )
        if result["valid"] and result["colleges"][college]["quorate"]:
            used = sum(Fraction(sum(v["points"].values()), 1000) for v in own)
            assert given_ == Fraction(weight, 10000) * used / len(own)
        else:
            assert given_ == 0
    # Order of votes never matters.
    shuffled = list(votes)
    random.Random(seed).shuffle(shuffled)
    assert (
        tally.tally_round(
            settings=settings_for("round"), electorate=electorate, recusals={}, votes=shuffled
        )
        == result
    )
    # A published bundle recomputes to the same result.
    bundle = {
        "settings": settings_for("round"),
        "electorate": electorate,
        "electorate_fingerprint": tally.electorate_fingerprint(electorate),
        "recusals": {},
        "votes": votes,
        "result": result,
    }
    assert tally.bundle_recompute(json.loads(tally.canonical_json(bundle))) == (True, [])


@settings(max_examples=60, deadline=None)
@given(
    counts=seat_counts,
    data=st.data(),
    majority=st.sampled_from(["ordinary", "qualified"]),
)
def test_motion_properties(counts: dict[str, int], data: st.DataObject, majority: str) -> None:
    electorate = body(**counts)
    choices = {
        e["seat"]: data.draw(st.sampled_from(["for", "against", "abstain", None]))
        for e in electorate
    }
    votes = motion_votes({s: c for s, c in choices.items() if c})
    result = tally.tally_motion(
        settings=settings_for("motion", majority), electorate=electorate, recusals={}, votes=votes
    )
    if result["support"] is not None:
        assert 0 <= tally.parse_frac(result["support"]) <= 1
    if result["adopted"]:
        assert result["valid"]
        assert tally.parse_frac(result["support"]) > Fraction(1, 2)
    reversed_result = tally.tally_motion(
        settings=settings_for("motion", majority),
        electorate=list(reversed(electorate)),
        recusals={},
        votes=list(reversed(votes)),
    )
    assert reversed_result == result
