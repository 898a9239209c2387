"""Issue 9 finding 12 (projects): free text is limited and names hold no
invisible control characters, through the pages; nothing is stored on refusal."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from contributors.models import User
from librery.models import LogEntry
from projects.models import FundingEntity, Maintainership, PayoutAccount, Project
from tests.projects.conftest import FUNDING_JSON_DIR
from tests.projects.test_edit import FORM
from tests.projects.test_edit import _url as _edit_url
from tests.projects.test_payout_accounts import GOOD
from tests.projects.test_payout_accounts import _url as _account_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
MEGABYTE = "a" * 1_048_576
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
INVISIBLE = "This text contains an invisible control character (U+{}); remove it and try again."


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"description": MEGABYTE},
            "Ensure this value has at most 20000 characters (it has 1048576).",
        ),
        (
            {"description_en": MEGABYTE},
            "Ensure this value has at most 20000 characters (it has 1048576).",
        ),
        ({"summary": f"Cartes{RLO}gpj.exe"}, INVISIBLE.format("202E")),
        ({"summary_en": "Maps\u2066x\u2069"}, INVISIBLE.format("2066")),
        ({"summary_en": "Maps\x1b[31m"}, INVISIBLE.format("001B")),
    ],
    ids=["1mb-description", "1mb-description-en", "rlo", "isolate", "escape"],
)
def test_project_edit_refuses_long_or_invisible_text(
    maintainer: Client, maintainer_user: User, changes: dict[str, str], message: str
) -> None:
    before = Project.objects.values().get(maintainerships__user=maintainer_user)
    response = maintainer.post(_edit_url(maintainer_user), {**FORM, **changes})
    assert response.status_code == 400
    assert message in response.text
    assert Project.objects.values().get(maintainerships__user=maintainer_user) == before
    assert LogEntry.objects.filter(action="projects.project.edited").count() == 0


def test_project_edit_keeps_line_breaks_and_tabs(maintainer: Client, maintainer_user: User) -> None:
    text = "Ligne 1\r\n\tLigne 2"
    response = maintainer.post(_edit_url(maintainer_user), {**FORM, "description": text})
    assert response.status_code == 302
    assert Maintainership.objects.get(user=maintainer_user).project.description == text


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"address": MEGABYTE}, "Ensure this value has at most 500 characters (it has 1048576)."),
        ({"holder_name": f"Bob{RLO}"}, INVISIBLE.format("202E")),
        ({"holder_name": "Bob\u200f"}, INVISIBLE.format("200F")),
        ({"address": "1 rue\x00 de la Paix"}, INVISIBLE.format("0000")),
    ],
    ids=["1mb-address", "rlo-holder", "rlm-holder", "nul-address"],
)
def test_payout_account_refuses_long_or_invisible_text(
    maintainer: Client, maintainer_user: User, changes: dict[str, str], field_message: str
) -> None:
    response = maintainer.post(_account_url(maintainer_user), {**GOOD, **changes})
    assert response.status_code == 400
    assert field_message in response.text
    assert PayoutAccount.objects.count() == 0


def test_a_manifest_with_a_bidi_override_in_a_name_is_refused(maintainer: Client) -> None:
    data = json.loads((FUNDING_JSON_DIR / "ddev__ddev.json").read_bytes())
    data["projects"][0]["name"] = f"DDEV{RLO}exe.pdf"
    data["entity"]["name"] = "DDEV\u202aFoundation"
    raw = json.dumps(data).encode()
    response = maintainer.post(
        "/en/projects/manifest/", {"file": SimpleUploadedFile("funding.json", raw)}
    )
    assert response.status_code == 400
    assert "The manifest has 2 problems; nothing was changed." in response.text
    assert "entity.name" in response.text
    assert "projects[0].name" in response.text
    assert INVISIBLE.format("202A") in response.text
    assert INVISIBLE.format("202E") in response.text
    assert FundingEntity.objects.count() == 0
    assert Project.objects.filter(source="funding.json").count() == 0


def test_the_models_carry_the_limits() -> None:
    project = Project(name=f"x{RLO}", slug="x", description=MEGABYTE)
    with pytest.raises(Exception) as caught:  # noqa: PT011 -- checked below
        project.full_clean()
    errors = caught.value.message_dict  # type: ignore[attr-defined]
    assert errors["name"] == [INVISIBLE.format("202E")]
    assert errors["description"] == [
        "Ensure this value has at most 20000 characters (it has 1048576)."
    ]
