"""Largest-remainder apportionment, shared by the allocation run and the SBOM
earmark proposals: a pure function over integers and exact fractions (no
Django, no database, no float)."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class ArithmeticInputError(ValueError):
    """Inputs outside the rules (a float, a share over the cap, fractions over 1)."""


@dataclass(frozen=True)
class Apportionment(Generic[K]):
    """Whole amounts summing to the total; `ranks[d]` is `d`'s place in the
    largest-remainder order (1 first), `extra` those that got one more."""

    amounts: dict[K, int]
    ranks: dict[K, int]
    extra: frozenset[K]


def apportion(
    total: int, exact: Mapping[K, Fraction], *, tie_key: Callable[[K], Any]
) -> Apportionment[K]:
    """Whole amounts for `exact` shares of `total` (they must sum to it): each
    floored, then one more to each of the largest remainders, ties by `tie_key`."""
    if sum(exact.values(), Fraction(0)) != total:
        raise ArithmeticInputError("The exact shares do not sum to the total.")
    floors = {key: math.floor(value) for key, value in exact.items()}
    order = sorted(exact, key=lambda key: (-(exact[key] - floors[key]), tie_key(key)))
    leftover = total - sum(floors.values())
    extra = frozenset(order[:leftover])
    amounts = {key: floors[key] + (1 if key in extra else 0) for key in exact}
    return Apportionment(
        amounts=amounts, ranks={key: i + 1 for i, key in enumerate(order)}, extra=extra
    )
