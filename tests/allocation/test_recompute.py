"""Anyone can recompute a month: verify.py (standard library only, written apart
from the platform's arithmetic) says `match` on every published document, and
not on a document with one cent changed."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

import verify
from allocation.models import AllocationRun
from allocation.services import allocation_run_claim, allocation_run_execute
from funds.enums import PaymentEventSource
from funds.services import payment_succeed
from governance.enums import BallotKind, BallotStatus
from projects.enums import ProjectStatus
from projects.models import Project
from tests.factories import ProjectFactory
from tests.factories.contributors import EarmarkFactory, PledgeFactory
from tests.factories.funds import PaymentFactory
from tests.factories.governance import BallotFactory

pytestmark = [pytest.mark.integration]
AFTER_MARCH = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)


def _scenario(seed: int) -> AllocationRun:
    """Random receipts, earmarks, a suspended project and a round of random
    fractions (some of them for the suspended one), then March's run."""
    rng = random.Random(seed)
    projects = [ProjectFactory.create(status=ProjectStatus.ADMITTED) for _ in range(5)]
    for _ in range(rng.randint(1, 12)):
        gross = rng.randint(100, 500_000)
        pledge = PledgeFactory.create(amount_cents=gross)
        budget = 5000
        for project in rng.sample(projects, rng.randint(0, 4)):
            share = rng.randint(1, max(1, budget // 2))
            budget -= share
            EarmarkFactory.create(pledge=pledge, project=project, share_bp=share)
        payment_succeed(
            payment=PaymentFactory.create(pledge=pledge),
            gross_cents=gross,
            processor_fee_cents=rng.randint(0, gross // 20),
            received_at=datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=rng.randint(0, 600)),
            source=PaymentEventSource.STRIPE_WEBHOOK,
        )
    Project.objects.filter(pk=projects[0].pk).update(status=ProjectStatus.SUSPENDED)
    weights = [rng.randint(0, 9) for _ in projects]
    total = sum(weights) + rng.randint(0, 9) or 1
    BallotFactory.create(
        kind=BallotKind.ROUND,
        status=BallotStatus.RELEASED,
        adopted=True,
        released_at=datetime(2026, 2, 1, tzinfo=UTC),
        decision_number="2026-01/1",
        result={
            "shares": {str(p.pk): f"{w}/{total}" for p, w in zip(projects, weights, strict=True)}
        },
    )
    return allocation_run_execute(
        run=allocation_run_claim(period="2026-03", at=AFTER_MARCH), at=AFTER_MARCH
    )


def _document(client: Client) -> bytes:
    response = client.get("/transparency/runs/2026-03.json")
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(12))
def test_every_published_document_recomputes(anonymous: Client, seed: int) -> None:
    run = _scenario(seed)
    document = json.loads(_document(anonymous))
    assert verify.first_difference(document) is None
    assert run.pool_shared_cents + run.pool_carried_out_cents == (
        run.pool_in_cents + run.pool_carried_in_cents
    )


@pytest.mark.django_db
def test_the_command_says_match_and_refuses_one_cent_changed(
    anonymous: Client, tmp_path: Path
) -> None:
    run = _scenario(99)
    raw = _document(anonymous)
    published = tmp_path / "allocation-2026-03.json"
    published.write_bytes(raw)
    out = StringIO()
    call_command(
        "recompute_allocation", str(published), "--sha256", run.document_sha256, stdout=out
    )
    assert out.getvalue().splitlines() == [
        f"sha256 {run.document_sha256}",
        "the document is the one whose hash was published",
        "match: the outputs are the ones the rules give",
    ]
    out = StringIO()
    call_command("recompute_allocation", str(published), stdout=out)
    assert out.getvalue().splitlines() == [
        f"sha256 {run.document_sha256}",
        "consistent, not verified against the register "
        "(give the month's URL, or --sha256 with its published hash)",
    ]

    document = json.loads(raw)
    pool = next(row for row in document["outputs"]["receipts"] if row["destination"] == "pool")
    pool["cents"] += 1
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document, sort_keys=True, separators=(",", ":")))
    out = StringIO()
    with pytest.raises(CommandError, match="does not match"):
        call_command(
            "recompute_allocation", str(tampered), "--sha256", run.document_sha256, stdout=out
        )
    assert out.getvalue().splitlines()[1:] == [
        "MISMATCH: the document is not the one whose hash was published",
        f"DIFFERENT: receipts pool cents: the document says {pool['cents']}, "
        f"the rules give {pool['cents'] - 1}",
    ]


@pytest.mark.django_db
def test_an_unreadable_document_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CommandError, match="cannot read the document"):
        call_command("recompute_allocation", str(broken), stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_given_its_url_it_checks_the_published_hash_too(live_server: object) -> None:
    run = _scenario(7)
    url = f"{live_server.url}/transparency/runs/2026-03.json"  # type: ignore[attr-defined]
    ok, lines = verify.verify_allocation(url)
    assert ok
    assert lines == [
        f"sha256 {run.document_sha256}",
        f"published sha256 {run.document_sha256} ({url.removesuffix('.json')}.sha256)",
        "the document is the one whose hash was published",
        "match: the outputs are the ones the rules give",
    ]
    assert verify.main(["allocation", url]) == 0
