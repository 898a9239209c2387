"""Portal pages, the public register, the bundle, the API; queries stay flat."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext

from contributors.models import User
from governance import selectors, services, tally, views
from governance.enums import BallotKind
from governance.models import Ballot, Mandate, Vote
from projects.enums import ProjectStatus
from tests.factories import MaintainershipFactory, ProjectFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
INPUT_ATTRS = 'type="number" min="0" max="1000" step="1" inputmode="numeric"'


def released_ballot(
    staff: User, voters: list[User], *, kind: str = "motion", **vote: Any
) -> Ballot:
    ballot = services.ballot_create(
        kind=kind,
        title=f"Ballot {Ballot.objects.count()}",
        closes_at=timezone.now() + timedelta(hours=1),
        actor=staff,
    )
    ballot = services.ballot_open(ballot=ballot, actor=staff, at=timezone.now())
    for voter in voters:
        services.vote_cast(ballot=ballot, voter=voter, at=timezone.now(), **vote)
    at = ballot.closes_at + timedelta(seconds=1)
    services.ballot_close(ballot=ballot, at=at)
    return services.ballot_release(ballot=ballot, actor=staff, at=at)


def test_about_page_shows_the_colleges_and_weights(anonymous: Client, colleges: None) -> None:
    page = anonymous.get("/en/governance/").text
    assert "<td>Commoners</td><td>5,100</td><td>7</td>" in page
    assert 'href="/en/governance/register/"' in page


@pytest.mark.parametrize("rows", [1, 3])
def test_about_page_lists_seats_and_vacancies_in_constant_queries(
    anonymous: Client,
    seat_up: Callable[..., Mandate],
    rows: int,
    django_assert_num_queries: Any,
) -> None:
    mandates = [seat_up("commoners", n, substitute=None) for n in range(1, rows + 1)]
    with django_assert_num_queries(4):  # weights, colleges, mandates, seats
        page = anonymous.get("/en/governance/").text
    assert f"<td>Commoners, seat 1</td><td>{mandates[0].holder.display_name}</td>" in page
    assert page.count("Vacant") == 15 - rows


def test_seat_holder_votes_on_a_motion_and_sees_the_receipt(
    seat_holder: Client, seat_holder_user: User, open_ballot: Callable[..., Ballot]
) -> None:
    ballot = open_ballot(title="Adopt the charter")
    page = seat_holder.get(f"/en/governance/portal/ballots/{ballot.pk}/")
    assert page.status_code == 200
    assert "Confirm my vote" in page.text
    response = seat_holder.post(
        f"/en/governance/portal/ballots/{ballot.pk}/", {"choice": "for"}, follow=True
    )
    vote = Vote.objects.get(ballot=ballot)
    assert (vote.member, vote.choice) == (seat_holder_user, "for")
    # The receipt is shown once, below the message that says where it is.
    assert "Your vote is recorded: its receipt is below and sent to you by email." in response.text
    assert response.text.count(vote.receipt) == 2  # the notice's text and its data attribute
    assert f"Receipt: <code>{vote.receipt}</code>" in response.text
    portal = seat_holder.get("/en/governance/portal/").text
    # The ballots, what a seat holder comes for, before their mandate and interests.
    assert portal.index("Adopt the charter") < portal.index("My mandate")


def test_bad_vote_gets_a_clear_message_and_changes_nothing(
    seat_holder: Client, open_ballot: Callable[..., Ballot], outsider: Client
) -> None:
    ballot = open_ballot()
    response = seat_holder.post(f"/en/governance/portal/ballots/{ballot.pk}/", {"choice": "maybe"})
    assert response.status_code == 400
    assert "Choose for, against or abstain." in response.text
    assert outsider.get(f"/en/governance/portal/ballots/{ballot.pk}/").status_code == 403
    assert Vote.objects.count() == 0


def test_round_page_previews_and_refuses_over_1000_points(
    seat_holder: Client,
    seat_holder_user: User,
    open_ballot: Callable[..., Ballot],
    admitted: list[Any],
) -> None:
    recused = MaintainershipFactory.create(
        user=seat_holder_user, project__status=ProjectStatus.ADMITTED, project__name="Zeta mine"
    ).project
    ballot = open_ballot(kind=BallotKind.ROUND, title="Round")
    page = seat_holder.get(f"/en/governance/portal/ballots/{ballot.pk}/").text
    assert 'data-pool-cents="0"' in page  # the ledger's pool, empty here
    assert f'name="p_{admitted[0].pk}"' in page
    assert f'name="p_{recused.pk}" {INPUT_ATTRS} value="" disabled' in page
    assert 'data-weight="5100"' in page
    response = seat_holder.post(
        f"/en/governance/portal/ballots/{ballot.pk}/",
        {f"p_{admitted[0].pk}": "700", f"p_{admitted[1].pk}": "301"},
    )
    assert response.status_code == 400
    assert "You may place at most 1000 points." in response.text
    response = seat_holder.post(
        f"/en/governance/portal/ballots/{ballot.pk}/", {f"p_{recused.pk}": "5"}
    )
    assert "You are recused" in response.text
    assert Vote.objects.count() == 0
    seat_holder.post(
        f"/en/governance/portal/ballots/{ballot.pk}/",
        {f"p_{admitted[0].pk}": "700", f"p_{admitted[1].pk}": ""},
    )
    assert Vote.objects.get().points == {str(admitted[0].pk): 700}
    # The next round starts from this ballot.
    later = open_ballot(kind=BallotKind.ROUND, title="Next round")
    Ballot.objects.filter(pk=later.pk).update(closes_at=ballot.closes_at + timedelta(days=30))
    page = seat_holder.get(f"/en/governance/portal/ballots/{later.pk}/").text
    assert "starts from the one you cast in the previous round" in page
    assert f'name="p_{admitted[0].pk}" {INPUT_ATTRS} value="700"' in page


def test_public_register_decision_and_bundle(
    anonymous: Client, board: dict[str, list[User]], staff: User, tmp_path: Any
) -> None:
    ballot = released_ballot(staff, board["commoners"][:2], choice="for")
    register = anonymous.get("/en/governance/register/").text
    assert ballot.decision_number is not None
    assert ballot.decision_number in register
    # Its date with the month spelt out, in either language: never the
    # United States' month/day order, which reads as another day here.
    released_at = timezone.localtime(ballot.released_at)
    with translation.override("en"):
        assert f"<td>{dateformat.format(released_at, 'N j, Y')}</td>" in register
    assert f"<td>{released_at:%d/%m/%Y}</td>" in anonymous.get("/governance/register/").text
    page = anonymous.get(f"/en/governance/register/{ballot.pk}/").text
    assert ballot.bundle_hash in page
    assert (
        "<td>Commoners</td><td>5,100</td><td>3</td><td>2</td><td>yes</td><td>2</td><td>0</td><td>0</td><td>1/1</td>"
        in page
    )
    response = anonymous.get(f"/en/governance/register/{ballot.pk}/bundle.json")
    assert tally.sha256_hex(json.loads(response.content)) == ballot.bundle_hash
    assert response.content.decode() == tally.canonical_json(ballot.bundle)
    pending = services.ballot_create(
        kind="motion",
        title="Pending one",
        closes_at=timezone.now() + timedelta(days=1),
        actor=staff,
    )
    pending = services.ballot_open(ballot=pending, actor=staff, at=timezone.now())
    register = anonymous.get("/en/governance/register/").text
    assert f"<td><code>{pending.electorate_fingerprint}</code></td>" in register
    draft = services.ballot_create(
        kind="motion", title="Secret", closes_at=timezone.now() + timedelta(days=1), actor=staff
    )
    assert anonymous.get(f"/en/governance/register/{draft.pk}/").status_code == 404


def test_register_says_each_decision_s_outcome_in_the_reader_s_language(
    anonymous: Client, board: dict[str, list[User]], staff: User
) -> None:
    adopted = released_ballot(staff, board["commoners"], choice="for")
    rejected = released_ballot(staff, board["commoners"], choice="against")
    assert (adopted.adopted, rejected.adopted) == (True, False)

    def outcomes(path: str) -> list[str]:
        rows = anonymous.get(path).text.split("<tbody>")[1].split("</tbody>")[0]
        return [
            row.split('class="badge badge--')[1].split("</span>")[0]
            for row in rows.split("<tr>")[1:]
        ]

    # Newest first: the rejected one, then the adopted one.
    assert outcomes("/en/governance/register/") == ['danger">Not adopted', 'success">Adopted']
    assert outcomes("/governance/register/") == ['danger">Non adoptée', 'success">Adoptée']


def test_register_is_paginated_and_lists_leave_the_json_out(
    anonymous: Client,
    board: dict[str, list[User]],
    staff: User,
    monkeypatch: pytest.MonkeyPatch,
    django_assert_num_queries: Any,
) -> None:
    monkeypatch.setattr(views, "REGISTER_PAGE_SIZE", 2)
    first, second, third = (
        released_ballot(staff, board["commoners"][:2], choice="for") for _ in range(3)
    )
    page_1 = anonymous.get("/en/governance/register/").text
    assert "3 decisions released." in page_1
    assert "Page 1 of 2" in page_1
    assert f"/en/governance/register/{third.pk}/" in page_1
    assert f"/en/governance/register/{first.pk}/" not in page_1
    page_2 = anonymous.get("/en/governance/register/?page=2").text
    assert f"/en/governance/register/{first.pk}/" in page_2
    assert f"/en/governance/register/{second.pk}/" not in page_2
    assert anonymous.get("/en/governance/register/?page=99").status_code == 200
    french = anonymous.get("/governance/register/").text
    assert "3 décisions publiées." in french
    row = selectors.released_decisions().first()
    assert row is not None
    with django_assert_num_queries(1):  # a deferred column is read only when asked for
        assert row.bundle == third.bundle
    listed = anonymous.get("/api/v1/governance/decisions/").json()["results"]
    # The list leaves each result to the decision's detail: a round's names
    # every project voted for, and would make a page grow with the catalogue.
    assert [item["id"] for item in listed] == [third.pk, second.pk, first.pk]
    assert not any("result" in item or "bundle" in item for item in listed)
    detail = anonymous.get(listed[0]["api_url"]).json()
    assert listed[0]["api_url"] == f"http://testserver/api/v1/governance/decisions/{third.pk}/"
    # Every item's addresses are its own, unprefixed whatever the reader's language.
    for ballot, item in zip((third, second, first), listed, strict=True):
        assert item["url"] == f"http://testserver/governance/register/{ballot.pk}/"
        assert (
            item["bundle_url"] == f"http://testserver/governance/register/{ballot.pk}/bundle.json"
        )
        assert item["api_url"] == f"http://testserver/api/v1/governance/decisions/{ballot.pk}/"
    english = anonymous.get("/api/v1/governance/decisions/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["results"] == listed
    assert detail["result"] == third.result
    assert detail["bundle"] == third.bundle


@pytest.mark.parametrize("rows", [1, 3])
def test_register_queries_do_not_grow(
    anonymous: Client,
    board: dict[str, list[User]],
    staff: User,
    rows: int,
    django_assert_num_queries: Any,
) -> None:
    for _ in range(rows):
        released_ballot(staff, board["commoners"][:2], choice="for")
    # the count, a page of released ballots, those in progress, the publication log's head
    with django_assert_num_queries(4):
        anonymous.get("/en/governance/register/")
    with django_assert_num_queries(2):
        anonymous.get("/api/v1/governance/decisions/")


@pytest.mark.parametrize("rows", [1, 3])
def test_portal_and_round_page_queries_do_not_grow(
    seat_holder: Client,
    open_ballot: Callable[..., Ballot],
    rows: int,
    django_assert_max_num_queries: Any,
) -> None:
    ProjectFactory.create_batch(rows * 5, status=ProjectStatus.ADMITTED)
    ballots = [open_ballot(kind=BallotKind.ROUND, title=f"R{n}") for n in range(rows)]
    # With the menu's portal link, the interest form's project names, and the
    # open ballots' electorates, proxies and votes (where the reader stands).
    with django_assert_max_num_queries(13):
        seat_holder.get("/en/governance/portal/")
    with django_assert_max_num_queries(12):
        seat_holder.get(f"/en/governance/portal/ballots/{ballots[-1].pk}/")
    with django_assert_max_num_queries(6):
        seat_holder.get("/api/v1/governance/ballots/")


def test_api_votes_own_and_ballots_for_the_portal_only(
    seat_holder: Client,
    seat_holder_user: User,
    outsider: Client,
    anonymous: Client,
    open_ballot: Callable[..., Ballot],
) -> None:
    ballot = open_ballot()
    assert outsider.get("/api/v1/governance/ballots/").status_code == 403
    assert anonymous.get("/api/v1/governance/ballots/").status_code == 403
    assert (
        outsider.post(
            f"/api/v1/governance/ballots/{ballot.pk}/vote/",
            {"choice": "for"},
            content_type="application/json",
        ).status_code
        == 403
    )
    listed = seat_holder.get("/api/v1/governance/ballots/").json()
    assert [b["id"] for b in listed["results"]] == [ballot.pk]
    response = seat_holder.post(
        f"/api/v1/governance/ballots/{ballot.pk}/vote/",
        {"choice": "against"},
        content_type="application/json",
    )
    assert response.status_code == 201
    receipt = response.json()["receipt"]
    assert Vote.objects.get().receipt == receipt
    mine = seat_holder.get("/api/v1/governance/votes/mine/").json()
    assert [v["receipt"] for v in mine["results"]] == [receipt]
    assert outsider.get("/api/v1/governance/votes/mine/").status_code == 403
    refused = seat_holder.post(
        f"/api/v1/governance/ballots/{ballot.pk}/vote/",
        {"points": {"1": 5}},
        content_type="application/json",
    )
    assert refused.status_code == 400
    with translation.override("fr"):  # the API answers in the default language
        expected = gettext("Choose for, against or abstain.")
    assert refused.json() == {"detail": expected}


def test_schema_lists_the_governance_endpoints(anonymous: Client) -> None:
    schema = anonymous.get("/api/schema/").content.decode()
    for path in (
        "/api/v1/governance/ballots/",
        "/api/v1/governance/ballots/{id}/vote/",
        "/api/v1/governance/votes/mine/",
        "/api/v1/governance/decisions/{id}/",
    ):
        assert path in schema


def test_proxy_through_the_page(
    seat_holder: Client,
    seat_holder_user: User,
    seat_up: Callable[..., Mandate],
    open_ballot: Callable[..., Ballot],
) -> None:
    other = seat_up("commoners", 2).holder
    third = seat_up("commoners", 3).holder
    ballot = open_ballot()
    response = seat_holder.post(
        f"/en/governance/portal/ballots/{ballot.pk}/proxy/", {"holder": other.pk}, follow=True
    )
    assert "Your proxy is recorded." in response.text
    response = seat_holder.post(
        f"/en/governance/portal/ballots/{ballot.pk}/proxy/", {"holder": third.pk}, follow=True
    )
    assert "You have already given your proxy for this ballot." in response.text


def test_minutes_adopted_by_motion_and_recusals_in_the_meeting_record(
    anonymous: Client, board: dict[str, list[User]], staff: User, open_ballot: Callable[..., Ballot]
) -> None:
    recused = board["commoners"][2]
    meeting = services.meeting_record(
        held_on_date=timezone.localdate(),
        title="Board meeting",
        agenda="1. Minutes\n2. Admission",
        attendees=board["commoners"],
        actor=staff,
    )
    project = MaintainershipFactory.create(user=recused).project
    minutes = open_ballot(title="Adopt the minutes", effect="adopt_minutes", meeting=meeting)
    admission = open_ballot(
        title="Admit it", effect="admit_project", effect_project=project, meeting=meeting
    )
    for ballot in (minutes, admission):
        for voter in board["commoners"][:2]:
            services.vote_cast(ballot=ballot, voter=voter, at=timezone.now(), choice="for")
        at = ballot.closes_at + timedelta(seconds=1)
        services.ballot_close(ballot=ballot, at=at)
        services.ballot_release(ballot=ballot, actor=staff, at=at)
    meeting.refresh_from_db()
    minutes.refresh_from_db()
    assert meeting.minutes_adopted_reference == minutes.decision_number
    page = anonymous.get(f"/en/governance/meetings/{meeting.pk}/").text
    assert f"Adopted by decision {minutes.decision_number}" in page
    assert f"{recused.display_name} was recused from “Admit it”." in page
    assert "Admit it" in page
    assert "Board meeting" in anonymous.get("/en/governance/meetings/").text


def test_proxy_carrier_fills_the_round_for_the_absent_holder(
    seat_holder: Client,
    seat_holder_user: User,
    seat_up: Callable[..., Mandate],
    open_ballot: Callable[..., Ballot],
    admitted: list[Any],
) -> None:
    absent = seat_up("commoners", 2).holder
    ballot = open_ballot(kind=BallotKind.ROUND, title="Round")
    proxy = services.proxy_give(
        ballot=ballot, giver=absent, holder=seat_holder_user, at=timezone.now()
    )
    url = f"/en/governance/portal/ballots/{ballot.pk}/"
    page = seat_holder.get(url).text
    assert f'href="?seat={proxy.seat_id}"' in page
    page = seat_holder.get(f"{url}?seat={proxy.seat_id}").text
    assert f'name="seat" value="{proxy.seat_id}"' in page
    seat_holder.post(url, {"seat": proxy.seat_id, f"p_{admitted[0].pk}": "40"})
    vote = Vote.objects.get()
    assert (vote.member, vote.cast_by, vote.points) == (
        absent,
        seat_holder_user,
        {str(admitted[0].pk): 40},
    )


def test_the_decision_preview_shares_today_s_pool_so_cents_add_up(anonymous: Client) -> None:
    """At a pool of 1.00 EUR, sixths are 0.1666… EUR each and the pool keeps
    0.6666…: by largest remainder the two leftover cents go to the pool, then to
    the lower project id (the old preview floored each share: 0.16 and 0.16)."""
    from funds import services as fund_services  # noqa: PLC0415 -- only this test
    from funds.enums import AccountKind, JournalSource  # noqa: PLC0415 -- only this test
    from governance.enums import BallotKind, BallotStatus  # noqa: PLC0415 -- only this test
    from tests.factories.governance import BallotFactory  # noqa: PLC0415 -- only this test

    first, second = ProjectFactory.create_batch(2, status="admitted")
    fund_services.journal_post(
        source=JournalSource.ADJUSTMENT,
        external_id="test-pool-100",
        memo="A pool of 1.00 EUR",
        legs=[
            (fund_services.ledger_account(kind=AccountKind.BANK), 100),
            (fund_services.ledger_account(kind=AccountKind.POOL), -100),
        ],
    )
    ballot = BallotFactory.create(
        kind=BallotKind.ROUND,
        status=BallotStatus.RELEASED,
        decision_number="2026-11/1",
        result={"shares": {str(first.pk): "1/6", str(second.pk): "1/6"}},
    )
    response = anonymous.get(f"/en/governance/register/{ballot.pk}/")
    assert response.status_code == 200
    assert [share["cents"] for share in response.context["shares"]] == [17, 16]
    assert "€0.17" in response.text


def test_a_round_s_published_votes_name_the_projects(anonymous: Client, staff: User) -> None:
    """The register's vote list showed "#119: 500": project ids the reader cannot
    place. It names each project (an id no longer in the catalogue stays an id)."""
    from governance.enums import BallotStatus  # noqa: PLC0415 -- only this test
    from tests.factories.governance import BallotFactory  # noqa: PLC0415 -- only this test

    glpi = ProjectFactory.create(name="GLPI", status="admitted")
    vote = {"member": staff.pk, "cast_by": staff.pk, "choice": "", "receipt": "r" * 64}
    ballot = BallotFactory.create(
        kind=BallotKind.ROUND,
        status=BallotStatus.RELEASED,
        decision_number="2026-11/2",
        result={"shares": {str(glpi.pk): "1/1"}},
        bundle={"votes": [{**vote, "points": {str(glpi.pk): 999, "987654": 1}}]},
    )
    english = anonymous.get(f"/en/governance/register/{ballot.pk}/").text
    assert "GLPI: 999 points, #987654: 1 point" in english
    french = anonymous.get(f"/governance/register/{ballot.pk}/").text
    assert "GLPI\u202f: 999 points, #987654\u202f: 1 point" in french
