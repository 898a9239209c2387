"""Anyone can verify a released ballot: verify.py (standard library only, written
apart from governance/tally.py) recomputes random ballots built through the
platform's own services, checks every receipt from the published bundle, and
refuses a forged bundle once it is checked against the register's hash, even a
forgery whose result was re-tallied and whose receipt was recomputed."""

from __future__ import annotations

import ast
import hashlib
import json
import random
import subprocess
import sys
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

import verify
from contributors.models import User
from governance import services, tally
from governance.enums import BallotKind, CollegeCode, Majority, MotionEffect
from governance.models import Ballot, Mandate, Seat, Vote
from projects.enums import ProjectStatus
from projects.models import Project
from tests.factories import ProjectFactory, UserFactory
from tests.verification import client_fetch

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
CHOICES = ("for", "against", "abstain")


def _weights(rng: random.Random) -> dict[str, int]:
    """Commoners over half; the rest shared at random, a college sometimes at 0,
    so that two to four colleges weigh something."""
    commoners = rng.randint(5001, 8000)
    cuts = sorted(rng.randint(0, 10_000 - commoners) for _ in range(2))
    rest = [cuts[0], cuts[1] - cuts[0], 10_000 - commoners - cuts[1]]
    return {
        CollegeCode.COMMONERS: commoners,
        CollegeCode.PUBLIC: rest[0],
        CollegeCode.PRIVATE: rest[1],
        CollegeCode.SCIENTIFIC: rest[2],
    }


def _board(rng: random.Random, now: datetime) -> dict[str, list[Mandate]]:
    services.college_defaults_ensure(at=now - timedelta(days=400))
    services.college_weights_set(
        weights=_weights(rng),
        effective_at=now - timedelta(days=1),
        decision_reference="test",
        actor=None,
    )
    board: dict[str, list[Mandate]] = {}
    for college in CollegeCode.values:
        seats = Seat.objects.filter(college__code=college).order_by("number")
        board[college] = [
            services.mandate_create(
                seat=seat,
                holder=UserFactory.create(),
                substitute=UserFactory.create() if rng.random() < 0.3 else None,
                start_date=timezone.localdate() - timedelta(days=10),
                end_date=timezone.localdate() + timedelta(days=365),
            )
            for seat in seats[: rng.randint(1, min(4, len(seats)))]
        ]
    return board


def _content(rng: random.Random, ballot: Ballot, projects: list[Any]) -> dict[str, Any]:
    if ballot.kind == BallotKind.MOTION:
        return {"choice": rng.choice(CHOICES)}
    if rng.random() < 0.15:
        return {"points": {}}  # a blank ballot
    chosen = rng.sample(projects, rng.randint(1, len(projects)))
    left, points = 1000, {}
    for project in chosen:
        points[project.pk] = rng.randint(0, left)
        left -= points[project.pk]
    return {"points": points}


def random_release(seed: int, staff: User) -> Ballot:
    """A motion or a round with random colleges, weights, substitutes, proxies,
    recusals, changed and blank votes, closed and released by the platform."""
    rng = random.Random(seed)
    now = timezone.now()
    board = _board(rng, now)
    projects = ProjectFactory.create_batch(3, status=ProjectStatus.ADMITTED)
    concerned = ProjectFactory.create(status=ProjectStatus.PROPOSED)
    mandates = [m for college in board.values() for m in college]
    for mandate in mandates:
        if rng.random() < 0.2:
            services.interest_declare(
                user=mandate.holder, project=rng.choice([*projects, concerned]), kind="maintains"
            )
    kind = rng.choice([BallotKind.MOTION, BallotKind.ROUND])
    motion: dict[str, Any] = {
        "effect": MotionEffect.ADMIT_PROJECT,
        "effect_project": concerned,
        "majority": rng.choice(Majority.values),
    }
    ballot = services.ballot_create(
        kind=kind,
        title=f"Scenario {seed}",
        closes_at=now + timedelta(days=3),
        actor=staff,
        **(motion if kind == BallotKind.MOTION else {}),
    )
    ballot = services.ballot_open(ballot=ballot, actor=staff, at=now)
    voters: list[tuple[User, int]] = []
    for college in board.values():
        if len(college) >= 2 and rng.random() < 0.4:
            giver, carrier = rng.sample(college, 2)
            services.proxy_give(ballot=ballot, giver=giver.holder, holder=carrier.holder, at=now)
            voters.append((carrier.holder, giver.seat_id))
    for mandate in mandates:
        if rng.random() < 0.3 and mandate.substitute is not None:
            voters.append((mandate.substitute, mandate.seat_id))
        elif rng.random() < 0.75:
            voters.append((mandate.holder, mandate.seat_id))
    rng.shuffle(voters)
    for step, (voter, seat) in enumerate(voters + rng.sample(voters, len(voters) // 3)):
        try:  # recused voters, and substitutes whose holder came back, are refused
            services.vote_cast(
                ballot=ballot,
                voter=voter,
                seat_id=seat,
                at=now + timedelta(minutes=step + 1),
                **_content(rng, ballot, projects),
            )
        except services.GovernanceError:
            continue
    at = ballot.closes_at + timedelta(seconds=1)
    services.ballot_close(ballot=ballot, at=at)
    return services.ballot_release(ballot=ballot, actor=staff, at=at)


def forge(bundle: dict[str, Any], index: int, content: dict[str, Any]) -> dict[str, Any]:
    """The bundle with one vote changed, its result re-tallied and its receipt
    recomputed: consistent in itself, so only the register's hash tells."""
    forged: dict[str, Any] = json.loads(json.dumps(bundle))
    forged["votes"][index].update(content)
    forged["votes"][index]["receipt"] = verify.receipt_of(forged, forged["votes"][index])
    forged["result"] = tally.tally(
        settings=forged["settings"],
        electorate=forged["electorate"],
        recusals=forged["recusals"],
        votes=forged["votes"],
    )
    return forged


def other_content(ballot: Ballot, vote: dict[str, Any]) -> dict[str, Any] | None:
    """Another vote the same voter could have cast (None if there is none)."""
    if ballot.kind == BallotKind.MOTION:
        return {"choice": CHOICES[(CHOICES.index(vote["choice"]) + 1) % 3]}
    if vote["points"]:
        return {"points": {}}
    barred = {
        int(p)
        for user in (vote["member"], vote["cast_by"])
        for p in ballot.recusals.get(str(user), [])
    }
    allowed = [p.pk for p in Project.objects.fundable().order_by("pk") if p.pk not in barred]
    return {"points": {str(allowed[0]): 1000}} if allowed else None


def _write(path: Path, bundle: dict[str, Any]) -> str:
    path.write_bytes(verify.canonical(bundle))
    return str(path)


@pytest.mark.parametrize("seed", range(24))
def test_random_ballots_recompute_and_forgeries_are_refused(
    seed: int, staff: User, anonymous: Client, tmp_path: Path
) -> None:
    ballot = random_release(seed, staff)
    fetch = client_fetch(anonymous)
    ok, lines = verify.verify_ballot(
        f"http://testserver/governance/register/{ballot.pk}/", fetch=fetch
    )
    assert ok, lines
    votes = Vote.objects.filter(ballot=ballot).count()
    assert lines[-2:] == [f"receipts: {votes} of {votes} recomputed from the bundle", "match"]
    assert verify.ballot_problems(ballot.bundle) == ([], lines[-2:-1])
    if not votes:
        return
    index = random.Random(seed).randrange(votes)
    content = other_content(ballot, ballot.bundle["votes"][index])
    assert content is not None
    forged = forge(ballot.bundle, index, content)
    path = _write(tmp_path / "forged.json", forged)
    ok, lines = verify.verify_ballot(path)
    assert ok, lines  # consistent in itself ...
    assert lines[-1].startswith("consistent, not verified against the register")
    ok, lines = verify.verify_ballot(path, sha256=ballot.bundle_hash)
    assert not ok  # ... but not the bundle whose hash the register publishes
    assert "MISMATCH: the bundle is not the one whose hash the register publishes" in lines
    with pytest.raises(CommandError, match=r"^mismatch: the bundle is not the one"):
        call_command("recompute_ballot", path, "--sha256", ballot.bundle_hash, stdout=StringIO())


def _motion(staff: User, board: dict[str, list[User]]) -> Ballot:
    return services.ballot_create(
        kind=BallotKind.MOTION,
        title="Adopt the minutes",
        closes_at=timezone.now() + timedelta(days=3),
        actor=staff,
    )


def _release(ballot: Ballot, staff: User) -> Ballot:
    at = ballot.closes_at + timedelta(seconds=1)
    services.ballot_close(ballot=ballot, at=at)
    return services.ballot_release(ballot=ballot, actor=staff, at=at)


def test_a_vote_changed_in_a_college_that_was_not_quorate_is_refused(
    board: dict[str, list[User]], staff: User, anonymous: Client, tmp_path: Path
) -> None:
    """Such a change leaves the result as it was, so recomputing alone cannot
    see it: the register's hash does."""
    ballot = services.ballot_open(ballot=_motion(staff, board), actor=staff, at=timezone.now())
    for voter in board["commoners"][:2]:
        services.vote_cast(ballot=ballot, voter=voter, at=timezone.now(), choice="for")
    services.vote_cast(ballot=ballot, voter=board["public"][0], at=timezone.now(), choice="against")
    released = _release(ballot, staff)
    assert released.result["colleges"]["public"]["quorate"] is False
    index = next(i for i, v in enumerate(released.bundle["votes"]) if v["choice"] == "against")
    forged = forge(released.bundle, index, {"choice": "for"})
    outcome = ("valid", "support", "adopted")
    assert [forged["result"][k] for k in outcome] == [released.result[k] for k in outcome]
    path = _write(tmp_path / "forged.json", forged)
    out = StringIO()
    call_command("recompute_ballot", path, stdout=out)
    assert out.getvalue().splitlines()[-1].startswith("consistent, not verified")
    with pytest.raises(CommandError, match="the bundle is not the one whose hash"):
        call_command("recompute_ballot", path, "--sha256", released.bundle_hash, stdout=out)

    # The same forgery served in place of the bundle, beside the register's real hash.
    genuine = client_fetch(anonymous)

    def forger(url: str) -> bytes:
        return verify.canonical(forged) if url.endswith("bundle.json") else genuine(url)

    decision = f"http://testserver/en/governance/register/{released.pk}/"
    ok, lines = verify.verify_ballot(decision, fetch=forger)
    assert not ok
    assert lines[1] == f"published sha256 {released.bundle_hash} ({decision}bundle.sha256)"
    assert lines[-1] == ("mismatch: the bundle is not the one whose hash the register publishes")


def test_a_voter_recomputes_their_receipt_from_the_published_bundle(
    board: dict[str, list[User]], staff: User, anonymous: Client, client: Client
) -> None:
    ballot = services.ballot_open(ballot=_motion(staff, board), actor=staff, at=timezone.now())
    voter = board["commoners"][0]
    client.force_login(voter)
    response = client.post(f"/en/governance/portal/ballots/{ballot.pk}/", {"choice": "for"})
    assert response.status_code == 302
    vote = Vote.objects.get(ballot=ballot)
    for other in board["commoners"][1:]:
        services.vote_cast(ballot=ballot, voter=other, at=timezone.now(), choice="against")

    # Before release nothing of the vote is disclosed: no bundle, no salt anywhere.
    page = client.get(f"/en/governance/portal/ballots/{ballot.pk}/").text
    assert vote.receipt in page
    assert vote.salt not in page
    assert "Once the results are released, the published bundle" in page
    assert vote.salt not in client.get("/api/v1/governance/votes/mine/").text
    assert anonymous.get(f"/governance/register/{ballot.pk}/bundle.json").status_code == 404

    _release(ballot, staff)
    bundle = json.loads(anonymous.get(f"/governance/register/{ballot.pk}/bundle.json").content)
    mine = next(v for v in bundle["votes"] if v["receipt"] == vote.receipt)
    # The receipt, recomputed here by hand from what the bundle publishes.
    data = {
        "ballot": bundle["ballot"]["id"],
        "seat": mine["seat"],
        "member": mine["member"],
        "cast_by": mine["cast_by"],
        "choice": mine["choice"],
        "points": mine["points"],
        "version": mine["version"],
        "at": mine["cast_at"],
        "salt": mine["salt"],
    }
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(text.encode()).hexdigest() == vote.receipt
    assert (mine["cast_by"], mine["choice"]) == (voter.pk, "for")

    page = client.get(f"/en/governance/portal/ballots/{ballot.pk}/").text
    assert (
        f'the <a href="/en/governance/register/{ballot.pk}/bundle.json">published bundle</a>'
        in page
    )
    decision = f"http://testserver/governance/register/{ballot.pk}/"
    ok, lines = verify.verify_ballot(decision, receipt=vote.receipt, fetch=client_fetch(anonymous))
    assert ok
    assert f"your receipt is the vote of seat {mine['seat']}: for, recomputed" in lines
    ok, lines = verify.verify_ballot(decision, receipt="0" * 64, fetch=client_fetch(anonymous))
    assert not ok
    assert "NOT FOUND: your receipt is not in the bundle" in lines


def test_the_decisions_api_gives_what_a_client_needs_to_check_a_decision(
    board: dict[str, list[User]], staff: User, anonymous: Client
) -> None:
    ballot = services.ballot_open(ballot=_motion(staff, board), actor=staff, at=timezone.now())
    services.vote_cast(ballot=ballot, voter=board["commoners"][0], at=timezone.now(), choice="for")
    released = _release(ballot, staff)
    [decision] = anonymous.get("/api/v1/governance/decisions/").json()["results"]
    assert decision["url"] == f"http://testserver/governance/register/{released.pk}/"
    assert decision["bundle_url"] == decision["url"] + "bundle.json"
    assert decision["bundle_sha256"] == released.bundle_hash
    fetch = client_fetch(anonymous)
    assert hashlib.sha256(fetch(decision["bundle_url"])).hexdigest() == released.bundle_hash
    assert anonymous.get(f"/governance/register/{released.pk}/bundle.sha256").text == (
        f"{released.bundle_hash}  ballot-{released.pk}-bundle.json\n"
    )
    api = f"http://testserver/api/v1/governance/decisions/{released.pk}/"
    ok, lines = verify.verify_ballot(api, fetch=fetch)
    assert ok
    assert lines[:2] == [
        f"sha256 {released.bundle_hash}",
        f"published sha256 {released.bundle_hash} (the decisions API)",
    ]


@pytest.mark.django_db(transaction=True)
def test_recompute_ballot_fetches_the_decision_and_its_hash(live_server: Any) -> None:
    staff = UserFactory.create(is_staff=True)
    ballot = random_release(3, staff)
    out = StringIO()
    call_command(
        "recompute_ballot", f"{live_server.url}/governance/register/{ballot.pk}/", stdout=out
    )
    lines = out.getvalue().splitlines()
    assert lines[0] == f"sha256 {ballot.bundle_hash}"
    assert "the bundle is the one whose hash the register publishes" in lines
    assert lines[-1] == "match"


def test_verify_py_needs_nothing_but_the_standard_library(
    board: dict[str, list[User]], staff: User, tmp_path: Path
) -> None:
    tree = ast.parse(Path(verify.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert {name.split(".")[0] for name in imported} <= sys.stdlib_module_names
    ballot = services.ballot_open(ballot=_motion(staff, board), actor=staff, at=timezone.now())
    services.vote_cast(ballot=ballot, voter=board["commoners"][0], at=timezone.now(), choice="for")
    released = _release(ballot, staff)
    path = _write(tmp_path / "bundle.json", released.bundle)
    # Run apart from the platform: no site-packages (-S), nothing from here (-I).
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            verify.__file__,
            "ballot",
            path,
            "--sha256",
            released.bundle_hash,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (done.returncode, done.stdout.splitlines()[-1]) == (0, "match"), done.stderr
