"""The decision page of a released round: once a run used it, the euros each
project actually received by it, as the run booked them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client

from allocation.enums import DestinationStage
from allocation.models import RunDestination
from allocation.selectors_projects import round_received
from funds.money import format_money
from governance.enums import BallotKind, BallotStatus
from projects.enums import ProjectStatus
from tests.allocation.transparency_data import funded_months
from tests.factories import ProjectFactory
from tests.factories.governance import BallotFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def funded() -> dict[str, Any]:
    return funded_months()


def test_the_round_page_shows_what_the_runs_gave(anonymous: Client, funded: dict[str, Any]) -> None:
    april = funded["april"]
    received = round_received(ballot_id=april.round_ballot_id)
    assert received.runs == [april]
    booked = RunDestination.objects.filter(
        run=april, stage=DestinationStage.POOL, project__isnull=False
    )
    assert received.total_cents == booked.aggregate(total=Sum("cents"))["total"]
    assert received.total_cents == april.pool_shared_cents
    alpha = booked.get(project=funded["month"].paid).cents
    assert received.projects[0] == ("Alpha Paid", funded["month"].paid.slug, alpha)
    text = anonymous.get(f"/en/governance/register/{april.round_ballot_id}/").text
    assert "What this round actually gave" in text
    assert format_money(alpha, locale="en") in text
    assert 'href="/en/transparency/runs/2026-04/"' in text
    # The round's shares stay, without an estimate at today's pool beside the
    # euros the run gave.
    shares = text.split('id="pool-shares"', 1)[1].split("</table>", 1)[0]
    assert "Alpha Paid" in shares
    assert "At the current pool" not in text
    assert "at the current pool of" not in text


def test_a_round_no_run_used_says_its_euros_are_an_estimate(anonymous: Client) -> None:
    ballot = BallotFactory.create(
        kind=BallotKind.ROUND,
        status=BallotStatus.RELEASED,
        adopted=True,
        decision_number="2026-09/1",
        result={"shares": {}},
    )
    assert round_received(ballot_id=ballot.pk).runs == []
    text = anonymous.get(f"/en/governance/register/{ballot.pk}/").text
    assert "No monthly allocation has used this round yet" in text


def test_a_round_no_run_used_shows_its_estimate_at_todays_pool(anonymous: Client) -> None:
    project = ProjectFactory.create(status=ProjectStatus.ADMITTED, name="Estimated")
    ballot = BallotFactory.create(
        kind=BallotKind.ROUND,
        status=BallotStatus.RELEASED,
        adopted=True,
        decision_number="2026-09/2",
        result={"shares": {str(project.pk): "1/2"}},
    )
    text = anonymous.get(f"/en/governance/register/{ballot.pk}/").text
    shares = text.split('id="pool-shares"', 1)[1].split("</table>", 1)[0]
    assert "At the current pool" in shares
    assert "Estimated" in shares
    assert "at the current pool of" in text
