"""Bad input is refused with a clear message and nothing stored: unknown
countries, oversized or invisible-character text, earmark rows beyond the form
(issue 9, finding 12, contributors part)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from contributors.models import Commitment, Contributor, Pledge, User
from contributors.services import ContributionError, commitment_create, organisation_create
from tests.contributors.pledge_form import pledge_form_data
from tests.factories import ProjectFactory, UserFactory
from tests.factories.contributors import OrganisationFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db,
    pytest.mark.usefixtures("online_payments"),
]

ORGANISATION_URL = "/en/contribute/organisations/new/"
COUNTRY_MESSAGE = "Enter the country as its two-letter ISO code, such as FR or BE."
INVISIBLE_MESSAGE = "This text contains an invisible control character (U+202E)"


def _organisation(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Assoc",
        "organisation_kind": "association",
        "legal_name": "Assoc loi 1901",
        "country": "BE",
        "billing_address": "Rue 1, 1000 Bruxelles",
        "siren_siret": "",
        "visibility": "named",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("country", ["ZZ", "XX", "zz", "AA", "F", "12", "ÉÉ"])
def test_unknown_countries_are_refused_by_the_form(contributor: Client, country: str) -> None:
    # ZZ once skipped the SIREN that a French organisation owes.
    response = contributor.post(ORGANISATION_URL, _organisation(country=country))
    assert response.status_code == 200
    assert COUNTRY_MESSAGE in response.text
    assert not Contributor.objects.filter(kind="organisation").exists()


@pytest.mark.parametrize("country", ["ZZ", "XX", " zz ", "EU"])
def test_unknown_countries_are_refused_by_the_service(country: str) -> None:
    with pytest.raises(ContributionError, match="two-letter ISO code"):
        organisation_create(user=UserFactory.create(), **_service(country=country))
    assert not Contributor.objects.filter(kind="organisation").exists()


def _service(**overrides: str) -> dict[str, Any]:
    data: dict[str, Any] = _organisation(**overrides)
    data.pop("visibility")
    return data


def test_lowercase_country_is_its_code_and_france_still_needs_a_siren(
    contributor: Client,
) -> None:
    refused = contributor.post(ORGANISATION_URL, _organisation(country="fr"))
    assert "French organisations give their SIREN or SIRET number." in refused.text
    accepted = contributor.post(ORGANISATION_URL, _organisation(country="be"))
    assert accepted.status_code == 302
    assert Contributor.objects.get(kind="organisation").country == "BE"


def test_the_model_refuses_an_unknown_country() -> None:
    organisation = OrganisationFactory.build(country="ZZ", user=None)
    with pytest.raises(ValidationError) as caught:
        organisation.full_clean(exclude=["user"])
    assert caught.value.message_dict == {"country": [COUNTRY_MESSAGE]}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"billing_address": "x" * 1_000_000},
            "Ensure this value has at most 500 characters (it has 1000000).",
        ),
        ({"name": "Assoc\u202e"}, INVISIBLE_MESSAGE),
        ({"legal_name": "\u202eAssoc"}, INVISIBLE_MESSAGE),
        ({"billing_address": "Rue 1\u202e"}, INVISIBLE_MESSAGE),
        ({"name": "x" * 201}, "Ensure this value has at most 200 characters (it has 201)."),
        ({"vat_number": "x" * 21}, "Ensure this value has at most 20 characters (it has 21)."),
    ],
)
def test_oversized_or_invisible_text_is_refused_by_the_form(
    contributor: Client, overrides: dict[str, str], message: str
) -> None:
    response = contributor.post(ORGANISATION_URL, _organisation(**overrides))
    assert response.status_code == 200
    assert message in response.text
    assert not Contributor.objects.filter(kind="organisation").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"billing_address": "x" * 1_000_000}, "at most 500 characters (it has 1000000)"),
        ({"name": "Assoc\u202e"}, "invisible control character (U+202E)"),
        ({"legal_name": "Assoc\u2066"}, "invisible control character (U+2066)"),
        ({"billing_address": "Rue\x00 1"}, "invisible control character (U+0000)"),
    ],
)
def test_oversized_or_invisible_text_is_refused_by_the_service(
    overrides: dict[str, str], message: str
) -> None:
    with pytest.raises(ContributionError, match=re.escape(message)):
        organisation_create(user=UserFactory.create(), **_service(**overrides))
    assert not Contributor.objects.filter(kind="organisation").exists()


def test_a_multiline_billing_address_is_kept() -> None:
    organisation = organisation_create(
        user=UserFactory.create(), **_service(billing_address="Rue 1\r\n1000 Bruxelles")
    )
    assert organisation.billing_address == "Rue 1\r\n1000 Bruxelles"


def test_commitment_project_name_refuses_invisible_characters() -> None:
    organisation = OrganisationFactory.create(organisation_kind="local_authority")
    with pytest.raises(ContributionError, match=r"U\+202E"):
        commitment_create(
            contributor=organisation,
            project_name="Portail\u202e",
            year=2026,
            budget_cents=100_000,
            actor=UserFactory.create(),
        )
    assert Commitment.objects.count() == 0


# --- Earmark rows: never dropped -----------------------------------------------


def _pledge(client: Client, rows: dict[int, tuple[str, str]]) -> Any:
    data = pledge_form_data()
    for row, (project, share) in rows.items():
        data[f"project_{row}"] = project
        data[f"share_{row}"] = share
    return client.post("/en/contribute/pledge/", data)


def test_a_sixth_earmark_row_is_kept(contributor: Client, contributor_user: User) -> None:
    projects = [ProjectFactory.create(status="admitted") for _ in range(6)]
    response = _pledge(contributor, {n: (str(p.pk), "5") for n, p in enumerate(projects, 1)})
    assert response.status_code == 302
    pledge = Pledge.objects.get()
    assert sorted(pledge.earmarks.values_list("project_id", flat=True)) == sorted(
        p.pk for p in projects
    )


@pytest.mark.parametrize("row", ["21", "0", "06", "x"])
def test_an_earmark_row_the_form_cannot_hold_is_refused(contributor: Client, row: str) -> None:
    project = ProjectFactory.create(status="admitted")
    response = contributor.post(
        "/en/contribute/pledge/",
        {
            "pay_as": "me",
            "visibility": "named",
            "frequency": "monthly",
            "amount": "50",
            "payment_method": "card",
            "token": str(uuid.uuid4()),
            f"project_{row}": str(project.pk),
            f"share_{row}": "10",
        },
    )
    assert response.status_code == 200
    assert "Choose at most 20 projects, in rows numbered 1 to 20." in response.text
    assert Pledge.objects.count() == 0


def test_amending_a_pledge_with_more_rows_than_the_form_keeps_them_all(
    contributor: Client, contributor_user: User
) -> None:
    projects = [ProjectFactory.create(status="admitted") for _ in range(7)]
    assert _pledge(contributor, {n: (str(p.pk), "5") for n, p in enumerate(projects, 1)})
    pledge = Pledge.objects.get()
    page = contributor.get(f"/en/contribute/pledges/{pledge.pk}/")
    assert 'name="project_7"' in page.text
    assert 'name="project_8"' not in page.text
