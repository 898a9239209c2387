"""The same vote submitted twice at once records one vote (real PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from contributors.models import User
from governance import services
from governance.models import Ballot, BallotEvent, Mandate, Vote
from tests.services import need

pytestmark = [pytest.mark.integration]


@pytest.mark.django_db(transaction=True)
def test_same_vote_twice_at_once_records_one(seat_up: Callable[..., Mandate], staff: User) -> None:
    need(connection.vendor == "postgresql", "needs PostgreSQL for row locks")
    voter = seat_up("commoners", 1).holder
    seat_up("commoners", 2)
    ballot = services.ballot_create(
        kind="motion", title="Race", closes_at=timezone.now() + timedelta(days=1), actor=staff
    )
    ballot = services.ballot_open(ballot=ballot, actor=staff, at=timezone.now())
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []
    at = timezone.now()

    def submit() -> None:
        try:
            barrier.wait()
            outcomes.append(
                services.vote_cast(ballot=Ballot(pk=ballot.pk), voter=voter, at=at, choice="for")
            )
        except Exception as exc:  # noqa: BLE001 -- reported by the assertion below
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [type(o).__name__ for o in outcomes] == ["Vote", "Vote"]
    assert outcomes[0].receipt == outcomes[1].receipt
    assert Vote.objects.filter(ballot=ballot).count() == 1
    assert BallotEvent.objects.filter(ballot=ballot, kind="vote").count() == 1
    assert BallotEvent.objects.filter(ballot=ballot, kind="change").count() == 0
