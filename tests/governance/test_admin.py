"""The admin: colleges, mandates and ballots go through the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from contributors.models import User
from governance import services
from governance.enums import BallotStatus, CollegeCode
from governance.models import Ballot, College, Mandate, Seat
from tests.factories import UserFactory
from tests.factories import governance as factories

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.mark.parametrize(
    "model", ["college", "seat", "mandate", "declaredinterest", "ballot", "proxy", "meeting"]
)
def test_admin_pages_render(administrator: Client, colleges: None, model: str) -> None:
    assert administrator.get(f"/en/admin/governance/{model}/").status_code == 200


def test_admin_changes_seats_but_never_weights(administrator: Client, colleges: None) -> None:
    college = College.objects.get(code=CollegeCode.PUBLIC)
    response = administrator.post(
        f"/en/admin/governance/college/{college.pk}/change/",
        {
            "name": "Public actors",
            "seat_count": "4",
            "weights-TOTAL_FORMS": "1",
            "weights-INITIAL_FORMS": "1",
        },
    )
    assert response.status_code == 302
    assert Seat.objects.filter(college=college).count() == 4
    assert (
        administrator.get(f"/en/admin/governance/college/{college.pk}/change/").status_code == 200
    )
    assert college.weights.count() == 1


def test_admin_creates_a_mandate_through_the_service(
    administrator: Client, administrator_user: User, colleges: None
) -> None:
    holder = UserFactory.create()
    seat = Seat.objects.get(college__code=CollegeCode.SCIENTIFIC, number=1)
    today = timezone.localdate()
    data = {
        "seat": seat.pk,
        "holder": holder.pk,
        "start_date": str(today),
        "end_date": str(today + timedelta(days=1000)),
    }
    response = administrator.post("/en/admin/governance/mandate/add/", data)
    assert response.status_code == 302, response.text
    mandate = Mandate.objects.get()
    assert (mandate.holder, mandate.seat) == (holder, seat)


def test_admin_opens_and_releases_ballots_with_actions(
    administrator: Client,
    administrator_user: User,
    board: dict[str, list[User]],
) -> None:
    ballot = services.ballot_create(
        kind="motion",
        title="Admin motion",
        closes_at=timezone.now() + timedelta(hours=1),
        actor=administrator_user,
    )
    administrator.post(
        "/en/admin/governance/ballot/",
        {"action": "open_now", "_selected_action": [ballot.pk]},
    )
    ballot.refresh_from_db()
    assert ballot.status == BallotStatus.OPEN
    response = administrator.post(
        "/en/admin/governance/ballot/",
        {"action": "release_results", "_selected_action": [ballot.pk]},
        follow=True,
    )
    assert "cannot go from Open to Results released" in response.text
    assert administrator.get(f"/en/admin/governance/ballot/{ballot.pk}/change/").status_code == 200


def test_scheduled_ballots_open_on_time(board: dict[str, list[User]], staff: User) -> None:
    now = timezone.now()
    ballot = services.ballot_create(
        kind="motion",
        title="Scheduled",
        opens_at=now + timedelta(hours=1),
        closes_at=now + timedelta(days=2),
        actor=staff,
    )
    assert services.ballots_open_due(now=now) == 0
    assert services.ballots_open_due(now=now + timedelta(hours=1)) == 1
    ballot.refresh_from_db()
    assert (ballot.status, ballot.opens_at) == (BallotStatus.OPEN, now + timedelta(hours=1))


def test_seat_holder_declares_an_interest_from_the_portal(
    seat_holder: Client,
    seat_holder_user: User,
    admitted: list[Any],
    open_ballot: Callable[..., Ballot],
) -> None:
    response = seat_holder.post(
        "/en/governance/portal/interests/",
        {"project": f"/en/projects/{admitted[0].slug}/", "kind": "employs"},
        follow=True,
    )
    assert f"Your interest in {admitted[0].name} is declared" in response.text
    response = seat_holder.post(
        "/en/governance/portal/interests/", {"project": "nope", "kind": "employs"}, follow=True
    )
    assert "No project is called “nope”: type part of its name, such as GLPI." in response.text
    ballot = open_ballot(kind="round")
    assert ballot.recusals == {str(seat_holder_user.pk): [admitted[0].pk]}
    with pytest.raises(services.GovernanceError, match="recused"):
        services.vote_cast(
            ballot=ballot, voter=seat_holder_user, at=timezone.now(), points={admitted[0].pk: 1}
        )


def test_factories_build_valid_rows(db: None) -> None:
    mandate = factories.MandateFactory.create()
    weight = factories.CollegeWeightFactory.create(college=mandate.seat.college)
    vote = factories.VoteFactory.create(seat=mandate.seat, member=mandate.holder)
    proxy = factories.ProxyFactory.create(ballot=vote.ballot, seat=mandate.seat)
    event = factories.BallotEventFactory.create(ballot=vote.ballot)
    interest = factories.DeclaredInterestFactory.create(user=mandate.holder)
    meeting = factories.MeetingFactory.create()
    assert mandate.seat.college.code == CollegeCode.COMMONERS
    assert weight.weight_bp == 5100
    assert vote.cast_by == mandate.holder
    assert proxy.ballot == event.ballot == vote.ballot
    assert str(interest).startswith(str(mandate.holder))
    assert meeting.title.startswith("Meeting ")
