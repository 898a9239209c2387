"""Issue 9 finding 12 (governance): free text is limited and titles hold no
invisible control characters, in the portal and the admin; nothing is stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from governance.models import Ballot, DeclaredInterest, Meeting

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
MEGABYTE = "a" * 1_048_576
RLO = "\u202e"
INVISIBLE = "This text contains an invisible control character (U+{}); remove it and try again."


@pytest.mark.parametrize(
    ("note", "message"),
    [
        (f"Employed by {RLO}them", INVISIBLE.format("202E")),
        (MEGABYTE, "Ensure this value has at most 300 characters (it has 1048576)."),
    ],
    ids=["rlo", "1mb"],
)
def test_an_interest_note_is_refused(
    seat_holder: Client, admitted: list[Any], note: str, message: str
) -> None:
    response = seat_holder.post(
        "/en/governance/portal/interests/",
        {"project": admitted[0].slug, "kind": "employs", "note": note},
        follow=True,
    )
    assert message in response.text
    assert DeclaredInterest.objects.count() == 0


def _ballot(**changes: str) -> dict[str, str]:
    closes = timezone.localtime() + timedelta(days=7)
    return {
        "kind": "motion",
        "title": "Adopt the charter",
        "description": "",
        "majority": "ordinary",
        "effect": "none",
        "closes_at_0": closes.strftime("%Y-%m-%d"),
        "closes_at_1": closes.strftime("%H:%M:%S"),
        "effect_weights": "{}",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        **changes,
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"description": MEGABYTE},
            "Ensure this value has at most 20000 characters (it has 1048576).",
        ),
        ({"title": f"Adopt{RLO} the charter"}, INVISIBLE.format("202E")),
    ],
    ids=["1mb-description", "rlo-title"],
)
def test_admin_refuses_a_long_or_invisible_ballot(
    administrator: Client, colleges: None, changes: dict[str, str], message: str
) -> None:
    ok = administrator.post("/en/admin/governance/ballot/add/", _ballot(title="Control"))
    assert ok.status_code == 302, ok.text[:3000]
    response = administrator.post("/en/admin/governance/ballot/add/", _ballot(**changes))
    assert response.status_code == 200
    assert message in response.text
    assert list(Ballot.objects.values_list("title", flat=True)) == ["Control"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"agenda": MEGABYTE}, "Ensure this value has at most 20000 characters (it has 1048576)."),
        (
            {"minutes": "m" * 200_001},
            "Ensure this value has at most 200000 characters (it has 200001).",
        ),
        ({"title": f"Board{RLO}"}, INVISIBLE.format("202E")),
    ],
    ids=["1mb-agenda", "long-minutes", "rlo-title"],
)
def test_admin_refuses_a_long_or_invisible_meeting(
    administrator: Client, changes: dict[str, str], message: str
) -> None:
    data = {"held_on_date": "2026-01-15", "title": "Board", "agenda": "", "minutes": "", **changes}
    response = administrator.post("/en/admin/governance/meeting/add/", data)
    assert response.status_code == 200
    assert message in response.text
    assert Meeting.objects.count() == 0
