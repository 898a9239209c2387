"""Recompute The Librery's published documents with nothing but Python's
standard library (docs/verify.md says how):

    python3 verify.py allocation https://…/transparency/runs/2026-03.json
    python3 verify.py allocation DOCUMENT.json --sha256 HEX
    python3 verify.py ballot https://…/governance/register/12/ [--receipt HEX]
    python3 verify.py ballot BUNDLE.json --sha256 HEX [--receipt HEX]
    python3 verify.py log https://…/transparency/log.json [--head POSITION:HASH]

A URL is checked against the hash the platform publishes beside it; a file is
checked against the hash given with --sha256, and without it is only said to be
consistent, not verified against the register.

This file is written apart from the platform's own tally and allocation code on
purpose, so that a mistake in one is not silently repeated in the other: it
follows the published rules (governance.md, allocation.md) with exact fractions
and compares its result with the outputs the document publishes.

Allocation:

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
import urllib.parse
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
        pass  # said last: the outputs can only be called consistent
    elif sha256.lower() != digest:
        ok = False
        lines.append("MISMATCH: the document is not the one whose hash was published")
    else:
        lines.append("the document is the one whose hash was published")
    difference = first_difference(json.loads(raw))
    if difference is None and sha256 is None:
        lines.append(
            "consistent, not verified against the register "
            "(give the month's URL, or --sha256 with its published hash)"
        )
    elif difference is None:
        lines.append("match: the outputs are the ones the rules give")
    else:
        ok = False
        lines.append(f"DIFFERENT: {difference}")
    return ok, lines


# --- Ballots ------------------------------------------------------------------
#
# governance.md: a college is quorate when more than half of its seated,
# non-recused members voted; a ballot is valid when the commoners' college is
# quorate and the quorate colleges weigh more than half. A motion's support is
# the weighted mean, over the quorate colleges with a for or against vote, of
# for / (for + against); ordinary motions need more than 1/2, qualified ones
# 2/3 and more than 1/2 among the commoners. A round gives project `p`
#   sum over quorate colleges c of  k_c/10000 * 1/n_c * sum over c's voters of points/1000.

ZERO_HASH = "0" * 64
TOTAL_WEIGHT_BP = 10_000
CHOICES = ("for", "against", "abstain")


class BundleError(ValueError):
    """The bundle breaks a rule before anything can be counted."""


def canonical(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes the platform hashes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _sha256(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def _fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BundleError(f"{what} must be a whole number, zero or more")
    return int(value)


def _electorate_and_votes(bundle: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[int, Any]]:
    """The electorate, and each seat's vote after the checks every ballot needs."""
    electorate = bundle["electorate"]
    weights = bundle["settings"]["weights"]
    seats = {}
    for entry in electorate:
        if entry["college"] not in weights:
            raise BundleError(f"seat {entry['seat']} is in a college without a weight")
        seats[int(entry["seat"])] = entry
    votes: dict[int, Any] = {}
    for vote in bundle["votes"]:
        seat = int(vote["seat"])
        entry = seats.get(seat)
        if entry is None:
            raise BundleError(f"seat {seat} voted but is not in the electorate")
        if seat in votes:
            raise BundleError(f"seat {seat} voted twice")
        if vote["member"] != entry["holder"]:
            raise BundleError(f"the vote of seat {seat} is not in its holder's name")
        college_holders = {e["holder"] for e in electorate if e["college"] == entry["college"]}
        if vote["cast_by"] not in college_holders | {entry["substitute"]}:
            raise BundleError(f"seat {seat} was voted by someone who may not vote for it")
        votes[seat] = vote
    return electorate, votes


def _recused(bundle: dict[str, Any], user: Any) -> set[int]:
    return {int(p) for p in bundle["recusals"].get(str(user), [])}


def _valid(quorate: dict[str, bool], weights: dict[str, int], commoners: str) -> bool:
    weight = sum(weights[c] for c, yes in quorate.items() if yes)
    return quorate.get(commoners, False) and 2 * weight > TOTAL_WEIGHT_BP


def _motion(bundle: dict[str, Any]) -> dict[str, Any]:
    settings = bundle["settings"]
    weights, commoners, project = settings["weights"], settings["commoners"], settings["project"]
    electorate, votes = _electorate_and_votes(bundle)
    rows: dict[str, dict[str, Any]] = {
        c: dict.fromkeys(("members", "voted", *CHOICES), 0) for c in weights
    }
    for entry in electorate:
        vote = votes.get(int(entry["seat"]))
        if project is not None and int(project) in _recused(bundle, entry["holder"]):
            if vote is not None:
                raise BundleError(f"seat {entry['seat']} is recused but voted")
            continue
        row = rows[entry["college"]]
        row["members"] += 1
        if vote is not None:
            if vote["choice"] not in CHOICES:
                raise BundleError(f"seat {entry['seat']} made no valid choice")
            row["voted"] += 1
            row[vote["choice"]] += 1
    support: dict[str, Fraction] = {}
    for code, row in rows.items():
        row["quorate"] = row["members"] > 0 and 2 * row["voted"] > row["members"]
        if row["quorate"] and row["for"] + row["against"] > 0:
            support[code] = Fraction(row["for"], row["for"] + row["against"])
        row["support"] = support.get(code)
    valid = _valid({c: r["quorate"] for c, r in rows.items()}, weights, commoners)
    weight = sum(weights[c] for c in support)
    overall = sum(weights[c] * s for c, s in support.items()) / weight if weight else None
    if not valid or overall is None:
        adopted = False
    elif settings["majority"] == "qualified":
        adopted = overall >= Fraction(2, 3) and support.get(commoners, 0) > Fraction(1, 2)
    else:
        adopted = overall > Fraction(1, 2)
    return {"colleges": rows, "valid": valid, "support": overall, "adopted": adopted}


def _round(bundle: dict[str, Any]) -> dict[str, Any]:
    settings = bundle["settings"]
    weights, commoners = settings["weights"], settings["commoners"]
    budget = settings.get("points", 1000)
    electorate, votes = _electorate_and_votes(bundle)
    rows: dict[str, dict[str, Any]] = {c: {"members": 0, "voted": 0} for c in weights}
    ballots: dict[str, list[dict[int, int]]] = {c: [] for c in weights}
    for entry in electorate:
        rows[entry["college"]]["members"] += 1
        vote = votes.get(int(entry["seat"]))
        if vote is None:
            continue
        points = {int(p): _count(n, "points") for p, n in vote["points"].items()}
        if sum(points.values()) > budget:
            raise BundleError(f"seat {entry['seat']} placed more than {budget} points")
        barred = _recused(bundle, entry["holder"]) | _recused(bundle, vote["cast_by"])
        if any(points[p] for p in barred if p in points):
            raise BundleError(f"seat {entry['seat']} placed points on a recused project")
        rows[entry["college"]]["voted"] += 1
        ballots[entry["college"]].append(points)
    for row in rows.values():
        row["quorate"] = row["members"] > 0 and 2 * row["voted"] > row["members"]
    valid = _valid({c: r["quorate"] for c, r in rows.items()}, weights, commoners)
    shares: dict[int, Fraction] = {}
    for code, cast in ballots.items():
        if not valid or not rows[code]["quorate"]:
            continue
        for points in cast:
            for project, n in points.items():
                part = Fraction(weights[code], 10_000) / len(cast) * Fraction(n, budget)
                shares[project] = shares.get(project, Fraction(0)) + part
    shares = {p: f for p, f in shares.items() if f != 0}
    return {
        "colleges": rows,
        "valid": valid,
        "adopted": valid,
        "shares": shares,
        "total": sum(shares.values(), Fraction(0)),
    }


def recompute_ballot(bundle: dict[str, Any]) -> dict[str, Any]:
    """The result the rules give for the bundle's settings, electorate,
    recusals and votes (fractions as Fraction)."""
    return _round(bundle) if bundle["settings"]["kind"] == "round" else _motion(bundle)


def _published_value(value: Any) -> Any:
    """A published fraction ("3/4") as a Fraction; anything else as it is."""
    if isinstance(value, str) and "/" in value:
        numerator, _, denominator = value.partition("/")
        return Fraction(int(numerator), int(denominator))
    return value


def _result_difference(expected: dict[str, Any], published: Any) -> str | None:
    if not isinstance(published, dict):
        return "the bundle publishes no result"
    for key in ("valid", "adopted", "support", "total"):
        if key in expected and _published_value(published.get(key)) != expected[key]:
            return f"{key}: the bundle says {published.get(key)!r}, the rules give {expected[key]}"
    colleges = published.get("colleges") or {}
    if set(colleges) != set(expected["colleges"]):
        return (
            f"colleges: the bundle lists {sorted(colleges)}, "
            f"the rules give {sorted(expected['colleges'])}"
        )
    for code, row in expected["colleges"].items():
        for key, value in row.items():
            if _published_value(colleges[code].get(key)) != value:
                return (
                    f"college {code} {key}: the bundle says {colleges[code].get(key)!r}, "
                    f"the rules give {value}"
                )
    if "shares" in expected:
        shares = {int(p): _published_value(f) for p, f in (published.get("shares") or {}).items()}
        if shares != expected["shares"]:
            given = {str(p): _fraction_text(f) for p, f in sorted(expected["shares"].items())}
            return f"shares: the bundle says {published.get('shares')!r}, the rules give {given}"
    return None


def receipt_of(bundle: dict[str, Any], vote: dict[str, Any]) -> str:
    """A vote's receipt, recomputed from what the released bundle publishes."""
    return _sha256(
        {
            "ballot": bundle["ballot"]["id"],
            "seat": vote["seat"],
            "member": vote["member"],
            "cast_by": vote["cast_by"],
            "choice": vote["choice"],
            "points": vote["points"],
            "version": vote["version"],
            "at": vote["cast_at"],
            "salt": vote["salt"],
        }
    )


def ballot_problems(bundle: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(problems, notes): why the bundle does not hold together (an empty list
    when it does), and what was checked."""
    problems: list[str] = []
    sorted_electorate = sorted(bundle["electorate"], key=lambda e: int(e["seat"]))
    if _sha256(sorted_electorate) != bundle.get("electorate_fingerprint"):
        problems.append("the electorate is not the one whose fingerprint was published")
    try:
        expected = recompute_ballot(bundle)
    except BundleError as error:
        return [*problems, f"the votes break a rule: {error}"], []
    difference = _result_difference(expected, bundle.get("result"))
    if difference is not None:
        problems.append(f"result differs: {difference}")
    salted = [v for v in bundle["votes"] if v.get("salt")]
    problems += [
        f"the receipt of seat {vote['seat']} is not the hash of its vote"
        for vote in salted
        if receipt_of(bundle, vote) != vote["receipt"]
    ]
    notes = [f"receipts: {len(salted)} of {len(bundle['votes'])} recomputed from the bundle"]
    return problems, notes


def _ballot_locations(location: str, fetch: Any) -> tuple[str, str | None]:
    """(bundle URL, published hash or its URL) for a decision's page, its bundle
    or its API address."""
    if "/api/" in location:
        decision = json.loads(fetch(location))
        return decision["bundle_url"], decision["bundle_sha256"]
    if location.endswith(".json"):
        return location, None
    return location.rstrip("/") + "/bundle.json", None


def verify_ballot(
    location: str, sha256: str | None = None, receipt: str | None = None, fetch: Any = None
) -> tuple[bool, list[str]]:
    """Check the bundle at `location` (a file, or a decision's page, bundle or
    API URL) against its published hash and recompute it. (all good, lines)."""
    fetch = fetch or _read
    lines: list[str] = []
    if location.startswith(("http://", "https://")):
        location, known = _ballot_locations(location, fetch)
        if sha256 is None and known is not None:
            sha256 = known
            lines.append(f"published sha256 {sha256} (the decisions API)")
        elif sha256 is None:
            published = location.removesuffix(".json") + ".sha256"
            sha256 = fetch(published).decode().split()[0]
            lines.append(f"published sha256 {sha256} ({published})")
    raw = fetch(location)
    digest = hashlib.sha256(raw).hexdigest()
    lines.insert(0, f"sha256 {digest}")
    problems: list[str] = []
    if sha256 is not None and sha256.lower() != digest:
        problems.append("the bundle is not the one whose hash the register publishes")
        lines.append("MISMATCH: the bundle is not the one whose hash the register publishes")
    elif sha256 is not None:
        lines.append("the bundle is the one whose hash the register publishes")
    bundle = json.loads(raw, parse_float=_refuse_float)
    found, notes = ballot_problems(bundle)
    problems += found
    lines += notes + [f"DIFFERENT: {p}" for p in found]
    if receipt is not None:
        problem, line = _your_receipt(bundle, receipt)
        problems += [problem] if problem else []
        lines.append(line)
    if problems:
        lines.append("mismatch: " + "; ".join(problems))
    elif sha256 is None:
        lines.append(
            "consistent, not verified against the register "
            "(give the decision's URL, or --sha256 with its published hash)"
        )
    else:
        lines.append("match")
    return not problems, lines


def _your_receipt(bundle: dict[str, Any], receipt: str) -> tuple[str | None, str]:
    """(problem or None, line) for a voter looking for their receipt."""
    votes = [v for v in bundle["votes"] if v["receipt"] == receipt.strip().lower()]
    if not votes:
        return "your receipt is not in the bundle", "NOT FOUND: your receipt is not in the bundle"
    vote = votes[0]
    if not vote.get("salt") or receipt_of(bundle, vote) != vote["receipt"]:
        problem = "your receipt cannot be recomputed from the bundle"
        return problem, f"DIFFERENT: {problem}"
    what = vote["choice"] or json.dumps(vote["points"], sort_keys=True)
    return None, f"your receipt is the vote of seat {vote['seat']}: {what}, recomputed"


def _refuse_float(text: str) -> Any:
    raise ValueError(f"floats are not allowed in a bundle ({text})")


# --- The publication log ------------------------------------------------------
#
# Each entry holds the previous entry's hash; its own hash is the SHA-256 of
# the canonical JSON of its position, kind, reference, url, sha256,
# previous_hash and published_at. The first entry's previous hash is 64 zeros.
# So an entry cannot be changed, removed or moved without breaking every hash
# after it, and the head (the last entry's hash) vouches for the whole log.

ENTRY_FIELDS = ("position", "kind", "reference", "url", "sha256", "previous_hash", "published_at")
MAX_LOG_PAGES = 100_000
POSITION_DIGITS = 18  # ASCII digits only: "²".isdigit() is true, int() refuses it


def entry_hash(entry: dict[str, Any]) -> str:
    return _sha256({field: entry[field] for field in ENTRY_FIELDS})


def chain_problems(entries: list[dict[str, Any]]) -> list[str]:
    """Why the entries are not one unbroken chain from the start (empty if they are)."""
    problems = []
    previous = ZERO_HASH
    for index, entry in enumerate(entries, start=1):
        where = f"entry {index}"
        if entry.get("position") != index:
            problems.append(f"{where}: its position is {entry.get('position')!r}, not {index}")
        if entry.get("previous_hash") != previous:
            problems.append(f"{where}: it does not follow the entry before it")
        if entry_hash(entry) != entry.get("entry_hash"):
            problems.append(f"{where}: its hash is not the hash of its content")
        previous = entry.get("entry_hash", "")
    return problems


def _holds(entries: list[dict[str, Any]], position: Any, expected: Any) -> bool:
    """Whether the entry at `position` (from 1) has the hash `expected`."""
    if isinstance(position, bool) or not isinstance(position, int):
        return False
    return 0 < position <= len(entries) and bool(
        entries[position - 1].get("entry_hash") == expected
    )


def log_entries(url: str, fetch: Any = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(first page, every entry) of the log at `url`, following its pages."""
    fetch = fetch or _read
    first = page = json.loads(fetch(url))
    entries = list(page["entries"])
    for _ in range(MAX_LOG_PAGES):
        if not page.get("next"):
            break
        page = json.loads(fetch(urllib.parse.urljoin(url, page["next"])))
        entries += page["entries"]
    return first, entries


def verify_log(
    url: str, head: str | None = None, fetch: Any = None, documents: bool = True
) -> tuple[bool, list[str]]:
    """Fetch the log, recompute its chain, check its head (and a head seen
    before, `POSITION:HASH`), fetch every document it lists and check its hash."""
    fetch = fetch or _read
    first, entries = log_entries(url, fetch)
    problems = chain_problems(entries)
    lines = [f"{len(entries)} entries"]
    published = first.get("head") or {}
    if entries:
        if not _holds(entries, published.get("position"), published.get("entry_hash")):
            problems.append("the published head is not an entry of the log")
        lines.append(f"head {entries[-1].get('position')}:{entries[-1].get('entry_hash')}")
    if head is not None:
        position, _, expected = head.partition(":")
        if not (
            position.isascii() and position.isdigit() and len(position) <= POSITION_DIGITS
        ) or not _holds(entries, int(position), expected):
            problems.append(f"the head seen before ({head}) is no longer in the log")
        else:
            lines.append(f"the log still holds the head seen before ({head})")
    checked = 0
    for entry in entries if documents else []:
        address = urllib.parse.urljoin(url, entry.get("url", ""))
        try:
            digest = hashlib.sha256(fetch(address)).hexdigest()
        except OSError as error:
            problems.append(f"entry {entry.get('position')}: {address} cannot be read ({error})")
            continue
        if digest != entry.get("sha256"):
            problems.append(
                f"entry {entry.get('position')}: {address} is not the document it published"
            )
        checked += 1
    if documents:
        lines.append(f"{checked} documents fetched and hashed")
    lines += [f"BROKEN: {p}" for p in problems]
    lines.append("the log is intact" if not problems else "the log does not hold")
    return not problems, lines


def main(argv: list[str] | None = None, version: tuple[int, ...] = sys.version_info[:2]) -> int:
    if version < (3, 9):  # str.removesuffix; checked with 3.9 to 3.13
        print(
            f"verify.py needs Python 3.9 or newer; this is Python {version[0]}.{version[1]}.",
            file=sys.stderr,
        )
        return 2
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("kind", choices=["allocation", "ballot", "log"])
    parser.add_argument("document", help="a file, or the document's public URL")
    parser.add_argument("--sha256", help="the hash the register publishes for it")
    parser.add_argument("--receipt", help="ballot: your receipt, to find your vote")
    parser.add_argument("--head", help="log: a head seen before, as POSITION:HASH")
    arguments = parser.parse_args(argv)
    if arguments.kind == "ballot":
        ok, lines = verify_ballot(arguments.document, arguments.sha256, arguments.receipt)
    elif arguments.kind == "log":
        ok, lines = verify_log(arguments.document, arguments.head)
    else:
        ok, lines = verify_allocation(arguments.document, arguments.sha256)
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
