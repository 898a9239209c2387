"""The allocation's integer arithmetic, as `docs`' allocation.md states it: pure
functions over integers and exact fractions (no Django, no database, no float).

- A receipt of net `n` cents with earmarks `{project: share_bp}` gives
  `n * fee_bp * 10**4` units to the fee, `n * (10**4 - fee_bp) * s` to each
  eligible earmarked project (an ineligible one's units go to the pool) and
  `n * (10**4 - fee_bp) * (10**4 - sum(s))` to the pool: `10**8` units a cent.
- Summed per destination, units become cents by largest remainder: floor each,
  then one cent each to the largest remainders; ties by kind (fee, then pool,
  then projects) and ascending project id.
- The pool `Q` is shared by the round's exact fractions by the same rule (ties:
  the pool first, then ascending project id), so that the parts sum to `Q`.

A destination is a tuple that sorts in the tie order: `FEE`, `POOL`, then
`project(id)` by ascending id.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from fractions import Fraction

# The largest remainder lives in `librery` (the SBOM proposals share it); its
# error is this module's input error, under the name the allocation uses.
from librery.arithmetic import Apportionment, apportion
from librery.arithmetic import ArithmeticInputError as AllocationInputError

__all__ = ["AllocationInputError", "Apportionment", "apportion"]

UNITS_PER_CENT = 10**8
BP = 10_000

Destination = tuple[int, int]
FEE: Destination = (0, 0)
POOL: Destination = (1, 0)
PROJECT_KIND = 2


def project(project_id: int) -> Destination:
    return (PROJECT_KIND, project_id)


def destination_label(destination: Destination) -> str:
    """``fee``, ``pool`` or ``project:<id>``: how documents name a destination."""
    if destination == FEE:
        return "fee"
    if destination == POOL:
        return "pool"
    return f"project:{destination[1]}"


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AllocationInputError(f"{what} must be a whole number, not {value!r}.")
    return value


def receipt_units(
    *, net_cents: int, fee_bp: int, earmarks: Mapping[int, int], eligible: Collection[int]
) -> dict[Destination, int]:
    """The units one receipt gives each destination (a refund's are negative)."""
    net = _whole(net_cents, "A receipt's net")
    fee = _whole(fee_bp, "The fee")
    if not 0 <= fee <= BP:
        raise AllocationInputError(f"The fee must be between 0 and {BP} bp, not {fee}.")
    shares = {_whole(p, "A project id"): _whole(s, "A share") for p, s in earmarks.items()}
    if any(share < 1 for share in shares.values()) or sum(shares.values()) > BP:
        raise AllocationInputError("Earmarks are at least 1 bp each and at most 10000 bp in all.")
    after_fee = net * (BP - fee)
    units: dict[Destination, int] = {
        FEE: net * fee * BP,
        POOL: after_fee * (BP - sum(shares.values())),
    }
    for project_id, share in shares.items():
        target = project(project_id) if project_id in eligible else POOL
        units[target] = units.get(target, 0) + after_fee * share
    return units


def round_units(units: Mapping[Destination, int]) -> Apportionment[Destination]:
    """Cents per destination from its units (allocation.md's first rounding):
    `apportion` of `units / UNITS_PER_CENT`, in integers (floor division and
    its remainder, for negative units too), one destination per project."""
    total_units = sum(_whole(value, "Units") for value in units.values())
    if total_units % UNITS_PER_CENT:
        raise AllocationInputError("Units must add up to whole cents.")
    floors = {key: value // UNITS_PER_CENT for key, value in units.items()}
    order = sorted(units, key=lambda key: (-(units[key] % UNITS_PER_CENT), key))
    extra = frozenset(order[: total_units // UNITS_PER_CENT - sum(floors.values())])
    return Apportionment(
        amounts={key: floors[key] + (1 if key in extra else 0) for key in units},
        ranks={key: i + 1 for i, key in enumerate(order)},
        extra=extra,
    )


def share_pool(
    *, pool_cents: int, fractions: Mapping[int, Fraction] | None
) -> Apportionment[Destination]:
    """The pool `Q` shared by exact fractions of eligible projects (the caller
    leaves out the others): each project `Q * f`, the pool keeps the rest. With
    `Q <= 0` or no round, everything stays in the pool."""
    pool = _whole(pool_cents, "The pool")
    if pool <= 0 or not fractions:
        return Apportionment(amounts={POOL: pool}, ranks={POOL: 1}, extra=frozenset())
    for value in fractions.values():
        if not isinstance(value, Fraction) or value < 0:
            raise AllocationInputError("Pool fractions are exact and not negative.")
    given = sum(fractions.values(), Fraction(0))
    if given > 1:
        raise AllocationInputError("Pool fractions add up to more than the pool.")
    exact: dict[Destination, Fraction] = {POOL: pool * (1 - given)}
    exact.update({project(pid): pool * value for pid, value in fractions.items()})
    return apportion(pool, exact, tie_key=lambda destination: destination)
