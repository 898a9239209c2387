"""Issue 14, item 7: declaring an interest recuses the person at once, in the
ballots already open (the service refuses their vote there; a vote already
cast that the recusal forbids is changed or withdrawn, and the tally holds)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

import verify
from contributors.models import User
from governance import services
from governance.enums import BallotEventKind, BallotKind, InterestKind
from governance.models import Ballot, BallotEvent, DeclaredInterest, Vote
from projects.enums import ProjectStatus
from tests.factories import ProjectFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def later(seconds: int = 1) -> Any:
    return timezone.now() + timedelta(seconds=seconds)


def release(ballot: Ballot, staff: User) -> Ballot:
    at = ballot.closes_at + timedelta(seconds=1)
    services.ballot_close(ballot=ballot, at=at)
    return services.ballot_release(ballot=ballot, actor=staff, at=at)


def test_an_interest_declared_during_a_round_refuses_points_at_once(
    board: dict[str, list[User]],
    open_ballot: Callable[..., Ballot],
    admitted: list[Any],
) -> None:
    voter = board["commoners"][0]
    round_ = open_ballot(kind=BallotKind.ROUND, title="Round")
    services.interest_declare(user=voter, project=admitted[0], kind=InterestKind.PAID_BY)
    round_.refresh_from_db()
    assert round_.recusals[str(voter.pk)] == [admitted[0].pk]
    with pytest.raises(services.GovernanceError, match="recused"):
        services.vote_cast(ballot=round_, voter=voter, at=later(), points={admitted[0].pk: 310})
    assert not Vote.objects.filter(ballot=round_).exists()
    # Other projects can still get the points.
    vote = services.vote_cast(ballot=round_, voter=voter, at=later(), points={admitted[1].pk: 5})
    assert vote.points == {str(admitted[1].pk): 5}
    event = BallotEvent.objects.get(ballot=round_, kind=BallotEventKind.RECUSAL)
    assert event.data == {"user": voter.pk, "project": admitted[0].pk}
    # Declaring it again changes nothing more.
    services.interest_declare(user=voter, project=admitted[0], kind=InterestKind.PAID_BY)
    assert BallotEvent.objects.filter(ballot=round_, kind=BallotEventKind.RECUSAL).count() == 1


def test_points_already_placed_are_taken_off_and_the_round_still_tallies(
    board: dict[str, list[User]],
    open_ballot: Callable[..., Ballot],
    admitted: list[Any],
    staff: User,
) -> None:
    voter = board["commoners"][0]
    round_ = open_ballot(kind=BallotKind.ROUND, title="Round")
    first = services.vote_cast(
        ballot=round_, voter=voter, at=later(), points={admitted[0].pk: 310, admitted[1].pk: 90}
    )
    services.interest_declare(user=voter, project=admitted[0], kind=InterestKind.PAID_BY)
    vote = Vote.objects.get(ballot=round_, seat_id=first.seat_id)
    assert vote.points == {str(admitted[1].pk): 90}
    assert (vote.version, vote.receipt != first.receipt) == (2, True)
    change = BallotEvent.objects.get(ballot=round_, kind=BallotEventKind.CHANGE)
    assert change.data["reason"] == "recusal"
    released = release(round_, staff)
    assert released.bundle["recusals"][str(voter.pk)] == [admitted[0].pk]
    problems, _notes = verify.ballot_problems(released.bundle)
    assert problems == []
    assert vote.receipt in {v["receipt"] for v in released.bundle["votes"]}


def test_a_vote_on_a_motion_about_the_project_is_withdrawn(
    board: dict[str, list[User]],
    open_ballot: Callable[..., Ballot],
    admitted: list[Any],
    staff: User,
) -> None:
    voter, other = board["commoners"][0], board["commoners"][1]
    motion = open_ballot(title="Suspend it", effect="suspend_project", effect_project=admitted[0])
    services.vote_cast(ballot=motion, voter=voter, at=later(), choice="for")
    services.vote_cast(ballot=motion, voter=other, at=later(), choice="against")
    services.interest_declare(user=voter, project=admitted[0], kind=InterestKind.MAINTAINS)
    assert list(Vote.objects.filter(ballot=motion).values_list("member_id", flat=True)) == [
        other.pk
    ]
    with pytest.raises(services.GovernanceError, match="recused"):
        services.vote_cast(ballot=motion, voter=voter, at=later(), choice="for")
    released = release(motion, staff)
    assert verify.ballot_problems(released.bundle)[0] == []
    assert [v["seat"] for v in released.bundle["votes"]] == [
        Vote.objects.get(ballot=motion).seat_id
    ]


def test_a_person_outside_the_electorate_changes_no_ballot(
    board: dict[str, list[User]],
    open_ballot: Callable[..., Ballot],
    admitted: list[Any],
) -> None:
    round_ = open_ballot(kind=BallotKind.ROUND, title="Round")
    outsider = UserFactory.create()
    services.interest_declare(user=outsider, project=admitted[0], kind=InterestKind.PAID_BY)
    round_.refresh_from_db()
    assert str(outsider.pk) not in round_.recusals


def test_an_interest_is_declared_by_the_project_name(
    seat_holder: Any, seat_holder_user: User, open_ballot: Callable[..., Ballot]
) -> None:
    """Item 9: "GLPI" (any case, or part of the name) finds the project; an
    ambiguous part names the candidates."""
    glpi = ProjectFactory.create(name="GLPI", slug="glpi-gestion", status=ProjectStatus.ADMITTED)
    ProjectFactory.create(name="Gitea", status=ProjectStatus.ADMITTED)
    ProjectFactory.create(name="Gitlab", status=ProjectStatus.ADMITTED)
    round_ = open_ballot(kind=BallotKind.ROUND, title="Round")
    page = seat_holder.get("/en/governance/portal/")
    assert '<option value="GLPI"></option>' in page.text
    assert 'list="interest-projects"' in page.text
    response = seat_holder.post(
        "/en/governance/portal/interests/", {"project": "glpi", "kind": "employs"}, follow=True
    )
    assert "Your interest in GLPI is declared" in response.text
    assert DeclaredInterest.objects.get(user=seat_holder_user).project == glpi
    round_.refresh_from_db()
    assert round_.recusals[str(seat_holder_user.pk)] == [glpi.pk]
    response = seat_holder.post(
        "/en/governance/portal/interests/", {"project": "Git", "kind": "employs"}, follow=True
    )
    assert "Several projects match “Git” (Gitea, Gitlab): type its full name." in response.text
    response = seat_holder.post(
        "/en/governance/portal/interests/", {"project": "gitl", "kind": "paid_by"}, follow=True
    )
    assert "Your interest in Gitlab is declared" in response.text
