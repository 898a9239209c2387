"""The portal's list of ballots tells each seat holder where they stand on
every open ballot: a vote to cast, cast, or theirs only as a substitute."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from contributors.models import User
from governance import selectors, services
from governance.models import Ballot, Mandate
from tests.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _standing(user: User) -> dict[str, tuple[int, int, bool, bool] | None]:
    return {
        ballot.title: None
        if mine is None
        else (mine.seats, mine.voted, mine.substitute, mine.proxy_given)
        for ballot, mine in selectors.portal_ballots(user=user)
    }


def test_each_open_ballot_says_whether_the_holder_has_voted(
    seat_up: Callable[..., Mandate], open_ballot: Callable[..., Ballot], staff: User
) -> None:
    ada = seat_up("commoners", 1).holder
    bob = seat_up("commoners", 2).holder
    sub = UserFactory.create()
    cleo = seat_up("public", 1, substitute=sub).holder
    voted = open_ballot(title="Voted")
    open_ballot(title="Not yet")
    proxied = open_ballot(title="With a proxy")
    now = timezone.now()
    services.vote_cast(ballot=voted, voter=ada, at=now, choice="for")
    services.proxy_give(ballot=proxied, giver=bob, holder=ada, at=now)
    services.vote_cast(ballot=proxied, voter=ada, at=now, choice="for")  # her own seat
    closed = open_ballot(title="Closed")
    services.ballot_close(ballot=closed, at=closed.closes_at + timedelta(seconds=1))

    assert _standing(ada) == {
        "Voted": (1, 1, False, False),
        "Not yet": (1, 0, False, False),
        "With a proxy": (2, 1, False, False),  # Bob's seat, carried by Ada, still to vote
        "Closed": None,
    }
    assert _standing(bob)["With a proxy"] == (0, 0, False, True)  # he gave his vote away
    assert _standing(bob)["Not yet"] == (1, 0, False, False)
    assert _standing(cleo)["Not yet"] == (1, 0, False, False)
    assert _standing(sub)["Not yet"] == (0, 0, True, False)
    services.vote_cast(ballot=voted, voter=cleo, at=now, choice="against")
    # The holder voted: nothing to stand in for.
    assert _standing(sub)["Voted"] == (0, 0, False, False)


def test_the_portal_shows_it_in_the_reader_s_language(
    seat_holder: Client,
    seat_holder_user: User,
    open_ballot: Callable[..., Ballot],
    django_assert_max_num_queries: Any,
) -> None:
    voted = open_ballot(title="Voted")
    open_ballot(title="Not yet")
    services.vote_cast(ballot=voted, voter=seat_holder_user, at=timezone.now(), choice="for")

    with django_assert_max_num_queries(13):
        english = seat_holder.get("/en/governance/portal/").text
    cell = '<td class="my-vote"><span class="badge badge--{}">{}</span></td>'
    assert cell.format("success", "Vote recorded") in english
    assert cell.format("warning", "To vote") in english
    french = seat_holder.get("/governance/portal/").text
    assert '<th scope="col" class="nowrap">Votre vote</th>' in french
    assert '<span class="badge badge--warning">À voter</span>' in french
    assert '<span class="badge badge--success">Vote enregistré</span>' in french


def test_a_seat_holder_carrying_a_proxy_sees_how_many_of_their_seats_voted(
    seat_up: Callable[..., Mandate], open_ballot: Callable[..., Ballot]
) -> None:
    ada = seat_up("commoners", 1).holder
    bob = seat_up("commoners", 2).holder
    ballot = open_ballot(title="With a proxy")
    services.proxy_give(ballot=ballot, giver=bob, holder=ada, at=timezone.now())
    services.vote_cast(ballot=ballot, voter=ada, at=timezone.now(), choice="for")
    client = Client()
    client.force_login(ada)
    french = client.get("/governance/portal/").text
    assert (
        '<span class="badge badge--warning">À voter</span> '
        '<span class="muted">sièges ayant voté\u202f: 1 sur 2</span>'
    ) in french
    client.force_login(bob)
    page = client.get("/en/governance/portal/").text
    assert '<span class="muted">You gave your proxy</span>' in page
