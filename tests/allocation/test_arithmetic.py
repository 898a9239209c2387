"""The allocation's arithmetic: cases worked out by hand from allocation.md, then
thousands of random cases against a deliberately straightforward version."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation.arithmetic import (
    FEE,
    POOL,
    UNITS_PER_CENT,
    AllocationInputError,
    Destination,
    apportion,
    destination_label,
    project,
    receipt_units,
    round_units,
    share_pool,
)

pytestmark = pytest.mark.unit


def _allocate(
    receipts: list[tuple[int, dict[int, int]]], *, fee_bp: int = 0, eligible: set[int]
) -> dict[Destination, int]:
    units: dict[Destination, int] = {FEE: 0, POOL: 0}
    for net, earmarks in receipts:
        for destination, value in receipt_units(
            net_cents=net, fee_bp=fee_bp, earmarks=earmarks, eligible=eligible
        ).items():
            units[destination] = units.get(destination, 0) + value
    return round_units(units).amounts


# --- Worked by hand ------------------------------------------------------------


def test_earmarks_and_pool_without_remainders() -> None:
    # 10 € with 30 % and 20 % earmarked: 3 €, 2 €, the pool 5 €.
    assert _allocate([(1000, {1: 3000, 2: 2000})], eligible={1, 2}) == {
        FEE: 0,
        POOL: 500,
        project(1): 300,
        project(2): 200,
    }


def test_a_tie_between_pool_and_project_goes_to_the_pool() -> None:
    # 1 cent half earmarked: half a cent each; the leftover cent to the pool.
    assert _allocate([(1, {5: 5000})], eligible={5}) == {FEE: 0, POOL: 1, project(5): 0}


def test_a_tie_between_fee_and_pool_goes_to_the_fee() -> None:
    assert _allocate([(1, {})], fee_bp=5000, eligible=set()) == {FEE: 1, POOL: 0}


def test_a_tie_between_projects_goes_to_the_lower_id() -> None:
    # 1 cent, 1/3 to each of two projects (3333 bp) and the pool's 3334 bp:
    # 0.3333, 0.3333 and 0.3334 cents: the pool has the largest remainder.
    assert _allocate([(1, {9: 3333, 4: 3333})], eligible={4, 9}) == {
        FEE: 0,
        POOL: 1,
        project(4): 0,
        project(9): 0,
    }
    # 2 cents at 2500 bp each and 5000 to the pool: 0.5, 0.5 and 1 cent; one
    # leftover cent, a tie between the projects: the lower id.
    assert _allocate([(2, {9: 2500, 4: 2500})], eligible={4, 9}) == {
        FEE: 0,
        POOL: 1,
        project(4): 1,
        project(9): 0,
    }


def test_a_refund_floors_towards_minus_infinity() -> None:
    # -1 cent half earmarked: -0.5 each, floored to -1 each with 0.5 remainders;
    # the leftover cent goes to the pool first.
    assert _allocate([(-1, {5: 5000})], eligible={5}) == {FEE: 0, POOL: 0, project(5): -1}


def test_an_earmark_to_a_project_not_eligible_goes_to_the_pool() -> None:
    assert _allocate([(100, {7: 5000})], eligible=set()) == {FEE: 0, POOL: 100}


def test_remainders_are_summed_over_receipts_before_rounding() -> None:
    # Two receipts of 1 cent with 33.33 % earmarked: 0.6666 cent to the project,
    # 1.3334 to the pool; one leftover cent to the project's larger remainder.
    assert _allocate([(1, {3: 3333}), (1, {3: 3333})], eligible={3}) == {
        FEE: 0,
        POOL: 1,
        project(3): 1,
    }


def test_the_fee_comes_first() -> None:
    # 100 € at a 5 % fee with 50 % earmarked: 5 €, then 47.50 € each.
    assert _allocate([(10_000, {2: 5000})], fee_bp=500, eligible={2}) == {
        FEE: 500,
        POOL: 4750,
        project(2): 4750,
    }


def test_the_pool_shared_by_thirds_keeps_the_leftover_cent() -> None:
    shared = share_pool(pool_cents=100, fractions={1: Fraction(1, 3), 2: Fraction(1, 3)})
    assert shared.amounts == {POOL: 34, project(1): 33, project(2): 33}
    assert shared.ranks == {POOL: 1, project(1): 2, project(2): 3}


def test_the_pool_tie_between_projects_goes_to_the_lower_id() -> None:
    shared = share_pool(
        pool_cents=10, fractions={4: Fraction(1, 4), 2: Fraction(1, 4), 3: Fraction(1, 2)}
    )
    assert shared.amounts == {POOL: 0, project(2): 3, project(3): 5, project(4): 2}


def test_fractions_below_one_leave_the_rest_in_the_pool() -> None:
    assert share_pool(pool_cents=7, fractions={1: Fraction(1, 2)}).amounts == {
        POOL: 4,
        project(1): 3,
    }


@pytest.mark.parametrize(
    ("pool", "fractions"), [(-50, {1: Fraction(1, 2)}), (0, {1: Fraction(1)}), (80, None)]
)
def test_a_pool_not_positive_or_without_a_round_stays(
    pool: int, fractions: dict[int, Fraction] | None
) -> None:
    assert share_pool(pool_cents=pool, fractions=fractions).amounts == {POOL: pool}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"net_cents": 1.5, "earmarks": {}}, "whole number"),
        ({"net_cents": True, "earmarks": {}}, "whole number"),
        ({"net_cents": 100, "earmarks": {1: 0}}, "at least 1 bp"),
        ({"net_cents": 100, "earmarks": {1: 6000, 2: 4001}}, "at most 10000"),
        ({"net_cents": 100, "earmarks": {}, "fee_bp": 10_001}, "between 0 and 10000"),
    ],
)
def test_inputs_outside_the_rules_are_refused(arguments: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"fee_bp": 0, "eligible": set(), **arguments}
    with pytest.raises(AllocationInputError, match=message):
        receipt_units(**values)  # type: ignore[arg-type]


def test_pool_fractions_outside_the_rules_are_refused() -> None:
    with pytest.raises(AllocationInputError, match="more than the pool"):
        share_pool(pool_cents=10, fractions={1: Fraction(2, 3), 2: Fraction(1, 2)})
    with pytest.raises(AllocationInputError, match="exact and not negative"):
        share_pool(pool_cents=10, fractions={1: 0.5})  # type: ignore[dict-item]
    with pytest.raises(AllocationInputError, match="whole cents"):
        round_units({POOL: UNITS_PER_CENT + 1})
    with pytest.raises(AllocationInputError, match="do not sum"):
        apportion(3, {"a": Fraction(1)}, tie_key=str)


def test_destinations_are_named_for_documents() -> None:
    assert [destination_label(d) for d in (FEE, POOL, project(12))] == [
        "fee",
        "pool",
        "project:12",
    ]


# --- Against a straightforward version -------------------------------------------


def _straightforward(
    receipts: list[tuple[int, dict[int, int]]], fee_bp: int, eligible: set[int]
) -> dict[str, int]:
    """allocation.md read aloud: exact euros per destination as fractions, then
    the leftover cents handed out one at a time to the largest remainder."""
    exact: dict[str, Fraction] = {"0 fee": Fraction(0), "1 pool": Fraction(0)}
    for net, earmarks in receipts:
        after_fee = Fraction(net) * Fraction(10_000 - fee_bp, 10_000)
        exact["0 fee"] += Fraction(net) * Fraction(fee_bp, 10_000)
        exact["1 pool"] += after_fee * Fraction(10_000 - sum(earmarks.values()), 10_000)
        for project_id, share in earmarks.items():
            name = f"2 {project_id:012d}" if project_id in eligible else "1 pool"
            exact[name] = exact.get(name, Fraction(0)) + after_fee * Fraction(share, 10_000)
    cents = {name: value.numerator // value.denominator for name, value in exact.items()}
    leftover = sum(net for net, _ in receipts) - sum(cents.values())
    while leftover > 0:
        best = min(exact, key=lambda name: (cents[name] - exact[name], name))
        cents[best] += 1
        exact[best] = Fraction(cents[best])  # its remainder is used up
        leftover -= 1
    return cents


def _named(amounts: dict[Destination, int]) -> dict[str, int]:
    names = {FEE: "0 fee", POOL: "1 pool"}
    return {names.get(d, f"2 {d[1]:012d}"): cents for d, cents in amounts.items()}


receipts_strategy = st.lists(
    st.tuples(
        st.integers(min_value=-(10**7), max_value=10**7),
        st.dictionaries(
            st.integers(min_value=1, max_value=12),
            st.integers(min_value=1, max_value=1250),
            max_size=8,  # 8 x 1250 bp: at most the whole receipt
        ),
    ),
    max_size=12,
)


@settings(max_examples=2000, deadline=None, derandomize=True)
@given(
    receipts=receipts_strategy,
    fee_bp=st.integers(min_value=0, max_value=2000),
    eligible=st.sets(st.integers(min_value=1, max_value=12)),
)
def test_matches_the_straightforward_version(
    receipts: list[tuple[int, dict[int, int]]], fee_bp: int, eligible: set[int]
) -> None:
    ours = _allocate(receipts, fee_bp=fee_bp, eligible=eligible)
    assert _named(ours) == _straightforward(receipts, fee_bp, eligible)
    assert sum(ours.values()) == sum(net for net, _ in receipts)  # conservation
    shuffled = list(receipts)
    random.Random(len(receipts)).shuffle(shuffled)
    assert _allocate(shuffled, fee_bp=fee_bp, eligible=eligible) == ours  # order-free


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(
    receipts=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10**7),
            st.dictionaries(
                st.integers(min_value=1, max_value=12),
                st.integers(min_value=1, max_value=1250),
                max_size=8,
            ),
        ),
        max_size=12,
    ),
    fee_bp=st.integers(min_value=0, max_value=2000),
)
def test_positive_receipts_never_give_a_negative_share(
    receipts: list[tuple[int, dict[int, int]]], fee_bp: int
) -> None:
    ours = _allocate(receipts, fee_bp=fee_bp, eligible=set(range(1, 13)))
    assert min(ours.values()) >= 0


@settings(max_examples=2000, deadline=None, derandomize=True)
@given(
    pool=st.integers(min_value=-(10**9), max_value=10**9),
    weights=st.dictionaries(
        st.integers(min_value=1, max_value=40), st.integers(min_value=0, max_value=1000)
    ),
    spare=st.integers(min_value=0, max_value=1000),
)
def test_the_pool_share_sums_to_the_pool_and_matches_floor_plus_one(
    pool: int, weights: dict[int, int], spare: int
) -> None:
    total = sum(weights.values()) + spare
    fractions = {p: Fraction(w, total) for p, w in weights.items()} if total else None
    shared = share_pool(pool_cents=pool, fractions=fractions).amounts
    assert sum(shared.values()) == pool
    if pool <= 0 or not fractions:
        assert shared == {POOL: pool}
        return
    for project_id, fraction in fractions.items():
        exact = pool * fraction
        assert shared[project(project_id)] in {int(exact), int(exact) + 1}
        assert shared[project(project_id)] >= 0
