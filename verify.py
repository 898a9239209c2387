"""Recompute The Librery's published documents with nothing but Python's
standard library: `python3 verify.py allocation DOCUMENT.json [--sha256 HEX]`
or `python3 verify.py allocation https://…/transparency/runs/2026-03.json`.

This file is written apart from the platform's own allocation code on purpose,
so that a mistake in one is not silently repeated in the other: it follows the
published rules (allocation.md) with exact fractions and compares its result
with the outputs the document publishes.

- Each receipt of net `n` and earmarks `{project: share}` gives
  `n * fee / 10000` cents to the fee, `n * (1 - fee/10000) * share / 10000` to
  each earmarked eligible project (else to the pool), and the rest to the pool.
- Per destination the exact cents are rounded by largest remainder: each
  floored, then one cent each to the largest remainders, ties to the fee, then
  the pool, then projects by ascending id.
- The pool, `Q` = this month's pool plus the pool carried in, is shared by
  the round's exact fractions when `Q > 0`, rounded the same way (ties: the
  pool first, then projects by ascending id).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import urllib.request
from fractions import Fraction
from typing import Any

UNITS_PER_CENT = 10**8
TIMEOUT_SECONDS = 30


def _order(destination: str) -> tuple[int, int]:
    """Tie order: the fee, the pool, then projects by ascending id."""
    if destination == "fee":
        return (0, 0)
    if destination == "pool":
        return (1, 0)
    return (2, int(destination.split(":", 1)[1]))


def _largest_remainder(exact: dict[str, Fraction]) -> dict[str, tuple[int, int]]:
    """{destination: (cents, remainder rank)} for exact cents summing to a whole."""
    total = sum(exact.values(), Fraction(0))
    if total.denominator != 1:
        raise ValueError("the exact amounts do not add up to whole cents")
    floors = {d: value.numerator // value.denominator for d, value in exact.items()}
    ranked = sorted(exact, key=lambda d: (floors[d] - exact[d], _order(d)))
    leftover = int(total) - sum(floors.values())
    return {
        d: (floors[d] + (1 if rank < leftover else 0), rank + 1) for rank, d in enumerate(ranked)
    }


def recompute_allocation(document: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """The outputs the rules give for the document's inputs."""
    fee = Fraction(document["fee_bp"], 10_000)
    eligible = {str(p) for p in document["eligible_projects"]}
    exact: dict[str, Fraction] = {"fee": Fraction(0), "pool": Fraction(0)}
    for receipt in document["receipts"]:
        net = Fraction(receipt["net_cents"])
        after_fee = net * (1 - fee)
        exact["fee"] += net * fee
        given = Fraction(0)
        for project_id, share in receipt["earmarks"].items():
            part = after_fee * Fraction(share, 10_000)
            given += part
            name = f"project:{project_id}" if project_id in eligible else "pool"
            exact[name] = exact.get(name, Fraction(0)) + part
        exact["pool"] += after_fee - given
    first = _largest_remainder(exact)
    receipts = {
        d: {"cents": cents, "remainder_rank": rank, "units": str(exact[d] * UNITS_PER_CENT)}
        for d, (cents, rank) in first.items()
    }
    pool_cents = first["pool"][0] + document["pool_carried_in_cents"]
    fractions = (document.get("round") or {}).get("fractions") or {}
    if pool_cents > 0 and fractions:
        shares = {f"project:{p}": _fraction(f) for p, f in fractions.items()}
        pool_exact = {"pool": pool_cents * (1 - sum(shares.values(), Fraction(0)))}
        pool_exact.update({d: pool_cents * f for d, f in shares.items()})
        pool = _largest_remainder(pool_exact)
    else:
        pool = {"pool": (pool_cents, 1)}
    return {
        "receipts": receipts,
        "pool": {d: {"cents": c, "remainder_rank": r} for d, (c, r) in pool.items()},
    }


def _fraction(text: str) -> Fraction:
    numerator, _, denominator = text.partition("/")
    return Fraction(int(numerator), int(denominator or "1"))


def first_difference(document: dict[str, Any]) -> str | None:
    """None when the published outputs are the rules' outputs, else the first
    difference, in words."""
    expected = recompute_allocation(document)
    for stage in ("receipts", "pool"):
        published = {row["destination"]: row for row in document["outputs"][stage]}
        if set(published) != set(expected[stage]):
            return (
                f"{stage}: the document lists {sorted(published)}, "
                f"the rules give {sorted(expected[stage])}"
            )
        for destination in sorted(expected[stage], key=_order):
            for field, value in expected[stage][destination].items():
                if published[destination].get(field) != value:
                    return (
                        f"{stage} {destination} {field}: the document says "
                        f"{published[destination].get(field)!r}, the rules give {value!r}"
                    )
    return None


def _read(location: str) -> bytes:
    if location.startswith(("http://", "https://")):
        with urllib.request.urlopen(location, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 -- an http(s) URL the user gave
            return bytes(response.read())
    with open(location, "rb") as handle:  # noqa: PTH123 -- the standard library, plainly
        return handle.read()


def verify_allocation(location: str, sha256: str | None = None) -> tuple[bool, list[str]]:
    """Check the document at `location` (a file or a URL) against its published
    hash and recompute it. Returns (all good, lines to print)."""
    raw = _read(location)
    digest = hashlib.sha256(raw).hexdigest()
    lines = [f"sha256 {digest}"]
    ok = True
    if sha256 is None and location.startswith(("http://", "https://")):
        published = location.removesuffix(".json") + ".sha256"
        sha256 = _read(published).decode().split()[0]
        lines.append(f"published sha256 {sha256} ({published})")
    if sha256 is None:
        lines.append("document not verified against a published hash (give --sha256)")
    elif sha256.lower() != digest:
        ok = False
        lines.append("MISMATCH: the document is not the one whose hash was published")
    else:
        lines.append("the document is the one whose hash was published")
    difference = first_difference(json.loads(raw))
    if difference is None:
        lines.append("match: the outputs are the ones the rules give")
    else:
        ok = False
        lines.append(f"DIFFERENT: {difference}")
    return ok, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("kind", choices=["allocation"])
    parser.add_argument("document", help="a file, or the document's public URL")
    parser.add_argument("--sha256", help="the hash the register publishes for it")
    arguments = parser.parse_args(argv)
    ok, lines = verify_allocation(arguments.document, arguments.sha256)
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
