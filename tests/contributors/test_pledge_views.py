from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from contributors.enums import PledgeFrequency, PledgeStatus
from contributors.models import Contributor, Pledge, User
from funds.enums import PaymentEventSource
from funds.models import PaymentRequest
from funds.services import payment_succeed
from funds.templatetags.money import percent_bp
from tests.contributors.pledge_form import pledge_form_data
from tests.factories import ProjectFactory
from tests.factories.contributors import EarmarkFactory, PledgeFactory
from tests.factories.funds import PaymentFactory
from tests.mail import mail_tasks

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db,
    pytest.mark.usefixtures("online_payments"),
]
PLEDGE_URL = "/en/contribute/pledge/"


def _post(client: Client, **overrides: str) -> object:
    return client.post(PLEDGE_URL, pledge_form_data(**overrides))


def test_anonymous_is_sent_to_login(anonymous: Client) -> None:
    response = anonymous.get(PLEDGE_URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_form_shows_preview_and_script(contributor: Client) -> None:
    ProjectFactory.create(status="admitted", name="Admitted one")
    ProjectFactory.create(status="proposed", name="Only proposed")
    response = contributor.get(PLEDGE_URL)
    content = response.content.decode()
    assert response.status_code == 200
    assert "js/contributors-pledge.js" in content
    assert "Admitted one" in content
    assert "Only proposed" not in content
    assert 'data-cap-bp="5000"' in content
    assert "The common pool is the part you do not earmark" in content
    # The cap in force, said in the page's opening line.
    assert f"choose the projects that get up to {percent_bp(5000)} of it" in content


def test_pledge_with_two_earmarks_and_double_submit(
    contributor: Client, contributor_user: User
) -> None:
    first, second = (ProjectFactory.create(status="admitted") for _ in range(2))
    token = str(uuid.uuid4())
    fields = {
        "token": token,
        "project_1": str(first.pk),
        "share_1": "30",
        "project_2": str(second.pk),
        "share_2": "20,00",
    }
    response = _post(contributor, **fields)
    assert response.status_code == 302  # type: ignore[attr-defined]
    again = _post(contributor, **fields)
    assert again["Location"] == response["Location"]  # type: ignore[index]
    pledge = Pledge.objects.get()
    assert pledge.contributor.user == contributor_user
    assert (pledge.frequency, pledge.amount_cents, pledge.status) == (
        PledgeFrequency.MONTHLY,
        5000,
        PledgeStatus.AWAITING_PAYMENT,
    )
    assert sorted(pledge.earmarks.values_list("share_bp", flat=True)) == [2000, 3000]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": "fifty"}, "Enter an amount in euros"),
        ({"amount": "-5"}, "The amount cannot be negative"),
        ({"amount": "2000000"}, "The maximum pledge is"),
        ({"amount": "0,50"}, "The minimum pledge is"),
        ({"project_1": "999999", "share_1": "10"}, "Select a valid choice"),
        ({"share_1": "10"}, "Choose a project for this share"),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(
    contributor: Client, overrides: dict[str, str], message: str
) -> None:
    response = _post(contributor, **overrides)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert message in response.content.decode()  # type: ignore[attr-defined]
    assert Pledge.objects.count() == 0


def test_shares_over_the_cap_and_ineligible_project(contributor: Client) -> None:
    project = ProjectFactory.create(status="admitted")
    other = ProjectFactory.create(status="admitted")
    response = _post(
        contributor, project_1=str(project.pk), share_1="30", project_2=str(other.pk), share_2="25"
    )
    assert "at most 50 % can be earmarked" in response.content.decode()  # type: ignore[attr-defined]
    proposed = ProjectFactory.create(status="proposed")
    response = _post(contributor, project_1=str(proposed.pk), share_1="10")
    assert "Select a valid choice" in response.content.decode()  # type: ignore[attr-defined]
    assert Pledge.objects.count() == 0


def test_bad_amount_message_in_french_on_the_default_pages(contributor: Client) -> None:
    response = contributor.post(
        "/contribute/pledge/",
        {
            "pay_as": "me",
            "visibility": "named",
            "frequency": "monthly",
            "amount": "abc",
            "payment_method": "card",
            "token": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 200
    assert "Saisissez un montant en euros, par exemple 50 ou 50,00." in response.content.decode()
    assert Pledge.objects.count() == 0


def test_bank_transfer_pledge_issues_a_request_with_pdf(
    contributor: Client, outsider: Client
) -> None:
    response = _post(contributor, payment_method="bank_transfer", frequency="one_time")
    assert response.status_code == 302  # type: ignore[attr-defined]
    request = PaymentRequest.objects.get()
    page = contributor.get("/en/contribute/mine/").content.decode()
    assert request.reference in page
    detail = contributor.get(response["Location"]).content.decode()  # type: ignore[index]
    assert request.reference in detail
    assert "FR7699999000010000000012337" in detail
    pdf = contributor.get(f"/en/funds/requests/{request.pk}/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert outsider.get(f"/en/funds/requests/{request.pk}/pdf/").status_code == 404


def test_receipt_attestation_in_both_languages_and_private(
    contributor: Client, contributor_user: User, outsider: Client
) -> None:
    pledge = PledgeFactory.create(contributor=contributor_user.contributors.get())
    receipt = payment_succeed(
        payment=PaymentFactory.create(pledge=pledge),
        gross_cents=5000,
        processor_fee_cents=100,
        received_at=pledge.created_at,
        source=PaymentEventSource.SYSTEM,
    )
    for language in ("fr", "en"):
        response = contributor.get(f"/en/funds/receipts/{receipt.pk}/attestation-{language}.pdf")
        assert response.status_code == 200
        assert response.content.startswith(b"%PDF")
    assert contributor.get(f"/en/funds/receipts/{receipt.pk}/attestation-de.pdf").status_code == 404
    assert outsider.get(f"/en/funds/receipts/{receipt.pk}/attestation-en.pdf").status_code == 404


def test_monthly_pledge_pause_resume_cancel_through_pages(
    contributor: Client, contributor_user: User, outsider: Client
) -> None:
    pledge = PledgeFactory.create(
        contributor=contributor_user.contributors.get(),
        frequency=PledgeFrequency.MONTHLY,
        status=PledgeStatus.ACTIVE,
    )
    base = f"/en/contribute/pledges/{pledge.pk}/"
    assert outsider.get(base).status_code == 404
    assert outsider.post(base + "pause/").status_code == 404
    assert contributor.post(base + "pause/").status_code == 302
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.PAUSED
    contributor.post(base + "resume/")
    project = ProjectFactory.create(status="admitted")
    response = contributor.post(
        base + "change/", {"amount": "70", "project_1": str(project.pk), "share_1": "15"}
    )
    assert response.status_code == 302
    form = contributor.get(base).content.decode()
    assert f'<option value="{project.pk}" selected>' in form
    assert 'name="share_1" value="15"' in form
    bad = contributor.post(
        base + "change/", {"amount": "70", "project_1": str(project.pk), "share_1": "60"}
    )
    assert bad.status_code == 400
    assert "at most 50 % can be earmarked" in bad.content.decode()
    # Cancelling asks first and changes nothing until confirmed.
    ask = contributor.post(base + "cancel/")
    assert ask.status_code == 200
    assert 'name="confirm" value="yes"' in ask.content.decode()
    pledge.refresh_from_db()
    assert pledge.status != PledgeStatus.CANCELLED
    contributor.post(base + "cancel/", {"confirm": "yes"})
    pledge.refresh_from_db()
    assert (pledge.status, pledge.amount_cents) == (PledgeStatus.CANCELLED, 7000)
    page = contributor.get(base).content.decode()
    history = page.split('id="pledge-history"', 1)[1].split("</ul>", 1)[0]
    assert history.count("<li>") == 4  # paused, resumed, amended, cancelled
    assert "→ Paused" in history
    assert "→ €70.00" in history


def test_organisation_and_public_body_commitment(
    contributor: Client, contributor_user: User
) -> None:
    bad = contributor.post(
        "/en/contribute/organisations/new/",
        {
            "name": "Ville",
            "organisation_kind": "local_authority",
            "legal_name": "Commune de Ville",
            "country": "FR",
            "billing_address": "Mairie",
            "siren_siret": "21750001500019",
            "visibility": "named",
        },
    )
    assert "not valid" in bad.content.decode()
    response = contributor.post(
        "/en/contribute/organisations/new/",
        {
            "name": "Ville",
            "organisation_kind": "local_authority",
            "legal_name": "Commune de Ville",
            "country": "FR",
            "billing_address": "Mairie",
            "siren_siret": "217500016",
            "visibility": "named",
        },
    )
    assert response.status_code == 302
    organisation = Contributor.objects.get(name="Ville")
    response = contributor.post(
        "/en/contribute/commitments/new/",
        {
            "organisation": str(organisation.pk),
            "project_name": "Portail",
            "year": "2026",
            "budget": "150000",
        },
    )
    assert response.status_code == 302
    form = contributor.get(response["Location"]).content.decode()
    assert 'value="3\u202f000,00"' in form  # grouped, as a person reads it
    pledge_response = _post(
        contributor,
        pay_as=str(organisation.pk),
        amount="3000",
        frequency="one_time",
        payment_method="bank_transfer",
        commitment=response["Location"].split("=")[-1],
    )
    assert pledge_response.status_code == 302  # type: ignore[attr-defined]
    pledge = Pledge.objects.get()
    assert pledge.commitment is not None
    mine = contributor.get("/en/contribute/mine/").content.decode()
    assert "Portail" in mine


def test_outsider_cannot_pledge_for_someone_elses_organisation(outsider: Client) -> None:
    from tests.factories.contributors import OrganisationFactory  # noqa: PLC0415

    organisation = OrganisationFactory.create()
    response = _post(outsider, pay_as=str(organisation.pk))
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "Select a valid choice" in response.content.decode()  # type: ignore[attr-defined]
    assert Pledge.objects.count() == 0


@pytest.mark.parametrize("rows", [1, 3])
def test_my_contributions_queries_do_not_grow(
    contributor: Client, contributor_user: User, rows: int, django_assert_max_num_queries: object
) -> None:
    person = contributor_user.contributors.get()
    for _ in range(rows):
        pledge = PledgeFactory.create(contributor=person, payment_method="card")
        EarmarkFactory.create(pledge=pledge)
        payment_succeed(
            payment=PaymentFactory.create(pledge=pledge),
            gross_cents=5000,
            processor_fee_cents=10,
            received_at=pledge.created_at,
            source=PaymentEventSource.SYSTEM,
        )
    # 11, the years of the yearly statements (one query), the menu's link to
    # the governance portal (one query), and the count of each paged list (two).
    with django_assert_max_num_queries(15):  # type: ignore[operator]
        response = contributor.get("/en/contribute/mine/")
    assert response.status_code == 200
    assert response.content.decode().count("/attestation-fr.pdf") == rows


@pytest.mark.parametrize("persona", ["anonymous", "maintainer", "seat_holder", "outsider"])
def test_another_persons_pledge_documents_are_not_found(
    persona: str, request: pytest.FixtureRequest, contributor_user: User
) -> None:
    pledge = PledgeFactory.create(
        contributor=contributor_user.contributors.get(), payment_method="bank_transfer"
    )
    from funds.services import payment_request_issue  # noqa: PLC0415

    payment_request = payment_request_issue(pledge=pledge)
    receipt = payment_succeed(
        payment=PaymentFactory.create(pledge=pledge),
        gross_cents=5000,
        processor_fee_cents=0,
        received_at=pledge.created_at,
        source=PaymentEventSource.SYSTEM,
    )
    client: Client = request.getfixturevalue(persona)
    urls = [
        f"/en/contribute/pledges/{pledge.pk}/",
        f"/en/funds/requests/{payment_request.pk}/pdf/",
        f"/en/funds/receipts/{receipt.pk}/attestation-en.pdf",
    ]
    expected = 302 if persona == "anonymous" else 404
    assert [client.get(url).status_code for url in urls] == [expected] * 3
    assert client.post(f"/en/contribute/pledges/{pledge.pk}/cancel/").status_code == expected
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.COMPLETED  # paid; the cancel attempt changed nothing


def test_pages_render_in_french(contributor: Client) -> None:
    for url in ("/contribute/", "/contribute/me/", "/contribute/pledge/", "/contribute/mine/"):
        response = contributor.get(url)
        assert response.status_code == 200, url
    assert "/contribute/mine/" in contributor.get("/contribute/me/").content.decode()
    assert "/contribute/mine/" in contributor.get("/contribute/").content.decode()


def test_owner_invites_a_member_who_can_then_pledge_for_the_organisation(
    contributor: Client,
    contributor_user: User,
    outsider: Client,
    outsider_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from contributors.services import organisation_create  # noqa: PLC0415

    organisation = organisation_create(
        user=contributor_user,
        name="Assoc",
        organisation_kind="association",
        legal_name="Assoc loi 1901",
        country="BE",
        billing_address="Rue 1",
    )
    url = f"/en/contribute/organisations/{organisation.pk}/members/"
    assert outsider.get(url).status_code == 404
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        response = contributor.post(url, {"email": outsider_user.email, "role": "member"})
    assert response.status_code == 302
    link = re.search(r"/contribute/invitations/([\w-]+)/", str(mail.outbox[-1].body))
    assert link is not None
    assert outsider.post(f"/en/contribute/invitations/{link.group(1)}/").status_code == 302
    assert outsider_user.email in contributor.get(url).content.decode()
    # A member is not an owner: they cannot invite people.
    refused = outsider.post(url, {"email": contributor_user.email, "role": "owner"})
    assert refused.status_code == 403
    pledged = _post(outsider, pay_as=str(organisation.pk))
    assert pledged.status_code == 302  # type: ignore[attr-defined]
    assert Pledge.objects.get().contributor == organisation


def test_a_radio_group_is_described_by_its_help_and_its_errors(contributor: Client) -> None:
    # The fieldset, not each radio, carries aria-describedby (as Django's own templates).
    page = contributor.get(PLEDGE_URL).content.decode()
    assert '<fieldset class="field" aria-describedby="id_visibility_helptext">' in page
    assert 'id="id_visibility_helptext"' in page
    page = _post(contributor, visibility="", frequency="").content.decode()  # type: ignore[attr-defined]
    assert (
        '<fieldset class="field" aria-describedby="id_visibility_helptext id_visibility_error">'
        in page
    )
    assert '<fieldset class="field" aria-describedby="id_frequency_error">' in page
    assert 'id="id_frequency_error"' in page
    assert 'id="id_visibility_error"' in page
