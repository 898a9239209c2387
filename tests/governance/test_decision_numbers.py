"""Decision numbers come from a locked counter per month (``2026-03/2``): in
order, and never given twice, even once a numbered ballot is voided."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from contributors.models import User
from governance import services
from governance.enums import BallotStatus
from governance.models import Ballot, DecisionCounter
from tests.factories.governance import BallotFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def adopted(
    open_ballot: Callable[..., Ballot],
    board: dict[str, list[User]],
    staff: User,
    title: str,
    **ballot_fields: Any,
) -> Ballot:
    """A ballot opened (with `ballot_fields`), carried by the board's majority,
    closed and released."""
    ballot = open_ballot(title=title, **ballot_fields)
    for voter in [*board["commoners"][:2], *board["public"]]:
        services.vote_cast(ballot=ballot, voter=voter, at=timezone.now(), choice="for")
    at = ballot.closes_at + timedelta(seconds=1)
    services.ballot_close(ballot=ballot, at=at)
    return services.ballot_release(ballot=ballot, actor=staff, at=at)


def test_two_releases_in_a_month_are_numbered_1_and_2_and_a_voided_number_is_not_reused(
    board: dict[str, list[User]], open_ballot: Callable[..., Ballot], staff: User
) -> None:
    first = adopted(open_ballot, board, staff, "First")
    second = adopted(open_ballot, board, staff, "Second")
    assert second.released_at is not None
    month = f"{timezone.localtime(second.released_at):%Y-%m}"

    assert (first.decision_number, second.decision_number) == (f"{month}/1", f"{month}/2")

    Ballot.objects.filter(pk=second.pk).update(decision_number=None)  # voided by hand
    third = adopted(open_ballot, board, staff, "Third")

    assert third.decision_number == f"{month}/3"
    assert list(DecisionCounter.objects.values_list("period", "last_number")) == [(month, 3)]


def test_a_rejected_ballot_takes_no_number(
    board: dict[str, list[User]], open_ballot: Callable[..., Ballot], staff: User
) -> None:
    ballot = open_ballot(title="Nobody votes")
    at = ballot.closes_at + timedelta(seconds=1)
    services.ballot_close(ballot=ballot, at=at)

    released = services.ballot_release(ballot=ballot, actor=staff, at=at)

    assert (released.status, released.adopted, released.decision_number) == (
        BallotStatus.RELEASED,
        False,
        None,
    )
    assert DecisionCounter.objects.count() == 0


def test_the_migration_starts_each_month_at_its_highest_number() -> None:
    for number in ("2026-03/4", "2026-03/2", "2026-04/1", None):
        BallotFactory.create(decision_number=number)
    migration = importlib.import_module("governance.migrations.0002_decision_counter")

    migration.counters_from_numbers(apps, None)

    assert sorted(DecisionCounter.objects.values_list("period", "last_number")) == [
        ("2026-03", 4),
        ("2026-04", 1),
    ]
