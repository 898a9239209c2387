from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.utils import translation

from contributors.enums import OrganisationKind, PledgeFrequency, PledgeStatus
from contributors.models import Contributor, Membership, Pledge, PledgeChange
from contributors.services import (
    ContributionError,
    EarmarkInput,
    commitment_create,
    invitation_create,
    organisation_create,
    pledge_cancel,
    pledge_pause,
    pledge_resume,
)
from funds.enums import FundSettingKey, PaymentMethod
from funds.services import fund_setting_change, pledge_amend, pledge_create
from tests.factories import ContributorFactory, ProjectFactory, UserFactory
from tests.factories.contributors import OrganisationFactory, PledgeFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are checked in English; the French ones come from the catalogue."""
    with translation.override("en"):
        yield


def _create(contributor: Contributor, **overrides: object) -> Pledge:
    arguments: dict[str, object] = {
        "contributor": contributor,
        "actor": contributor.user,
        "frequency": PledgeFrequency.MONTHLY,
        "amount_cents": 5000,
        "payment_method": PaymentMethod.CARD,
        "earmarks": [],
        "idempotency_token": uuid.uuid4(),
    }
    arguments.update(overrides)
    return pledge_create(**arguments)  # type: ignore[arg-type]


def test_pledge_with_earmarks_and_double_submit() -> None:
    contributor = ContributorFactory.create()
    first, second = (ProjectFactory.create(status="admitted") for _ in range(2))
    token = uuid.uuid4()
    earmarks = [EarmarkInput(first.pk, 3000), EarmarkInput(second.pk, 2000)]
    pledge = _create(contributor, earmarks=earmarks, idempotency_token=token)
    again = _create(contributor, earmarks=earmarks, idempotency_token=token)
    assert again.pk == pledge.pk
    assert Pledge.objects.count() == 1
    assert pledge.status == PledgeStatus.AWAITING_PAYMENT
    assert sorted(pledge.earmarks.values_list("project_id", "share_bp")) == sorted(
        [(first.pk, 3000), (second.pk, 2000)]
    )
    assert list(pledge.changes.values_list("kind", flat=True)) == ["created"]


@pytest.mark.parametrize(
    ("amount", "shares", "status", "message"),
    [
        (99, [], "admitted", "minimum pledge is €1.00"),
        (100_000_001, [], "admitted", "maximum pledge is €1,000,000.00"),
        (5000, [3000, 2001], "admitted", "add up to 50,01 %"),
        (5000, [0], "admitted", "more than 0"),
        (5000, [1000], "proposed", "cannot receive funds"),
    ],
)
def test_pledge_bounds_cap_and_eligibility(
    amount: int, shares: list[int], status: str, message: str
) -> None:
    contributor = ContributorFactory.create()
    earmarks = [EarmarkInput(ProjectFactory.create(status=status).pk, s) for s in shares]
    with translation.override("en"), pytest.raises(ContributionError, match=message):
        _create(contributor, amount_cents=amount, earmarks=earmarks)
    assert Pledge.objects.count() == 0


def test_unknown_or_duplicate_projects_are_refused() -> None:
    contributor = ContributorFactory.create()
    project = ProjectFactory.create(status="admitted")
    with pytest.raises(ContributionError, match="cannot receive funds"):
        _create(contributor, earmarks=[EarmarkInput(999_999, 100)])
    with pytest.raises(ContributionError, match="only once"):
        _create(
            contributor, earmarks=[EarmarkInput(project.pk, 100), EarmarkInput(project.pk, 100)]
        )


def test_bounds_and_cap_come_from_fund_settings() -> None:
    past = datetime(2020, 1, 1, tzinfo=UTC)
    fund_setting_change(
        key=FundSettingKey.EARMARK_CAP_BP, value=2000, effective_at=past, decision_reference="D-1"
    )
    fund_setting_change(
        key=FundSettingKey.PLEDGE_MIN_CENTS, value=1000, effective_at=past, decision_reference="D-2"
    )
    contributor = ContributorFactory.create()
    project = ProjectFactory.create(status="admitted")
    with pytest.raises(ContributionError, match="at most 20 %"):
        _create(contributor, earmarks=[EarmarkInput(project.pk, 2001)])
    with pytest.raises(ContributionError, match=r"minimum pledge is €10\.00"):
        _create(contributor, amount_cents=999)
    assert _create(contributor, earmarks=[EarmarkInput(project.pk, 2000)]).amount_cents == 5000


def test_monthly_pledge_pause_resume_amend_cancel_recorded() -> None:
    contributor = ContributorFactory.create()
    pledge = PledgeFactory.create(
        contributor=contributor, frequency=PledgeFrequency.MONTHLY, status=PledgeStatus.ACTIVE
    )
    user = contributor.user
    assert user is not None
    assert pledge_pause(pledge=pledge, actor=user).status == PledgeStatus.PAUSED
    assert pledge_pause(pledge=pledge, actor=user).status == PledgeStatus.PAUSED
    assert pledge_resume(pledge=pledge, actor=user).status == PledgeStatus.ACTIVE
    project = ProjectFactory.create(status="admitted")
    pledge_amend(
        pledge=pledge, actor=user, amount_cents=7000, earmarks=[EarmarkInput(project.pk, 1500)]
    )
    assert pledge_cancel(pledge=pledge, actor=user).status == PledgeStatus.CANCELLED
    with pytest.raises(ContributionError):
        pledge_resume(pledge=pledge, actor=user)
    changes = list(PledgeChange.objects.filter(pledge=pledge).values_list("kind", "data"))
    assert [kind for kind, _data in changes] == ["status", "status", "amended", "status"]
    assert changes[2][1] == {
        "before": {"amount_cents": 5000, "earmarks": []},
        "after": {"amount_cents": 7000, "earmarks": [{"project_id": project.pk, "share_bp": 1500}]},
    }


def test_one_time_pledge_cannot_be_paused() -> None:
    pledge = PledgeFactory.create(status=PledgeStatus.ACTIVE)
    assert pledge.created_by is not None
    with pytest.raises(ContributionError, match="Only a monthly pledge"):
        pledge_pause(pledge=pledge, actor=pledge.created_by)


def test_organisation_with_valid_siret_and_owner() -> None:
    user = UserFactory.create()
    organisation = organisation_create(
        user=user,
        name="Exemple",
        organisation_kind=OrganisationKind.COMPANY,
        legal_name="Exemple SAS",
        country="fr",
        billing_address="1 rue X",
        siren_siret="732 829 320 00074",
        vat_number="FR 40 303 265 045",
    )
    assert organisation.siren_siret == "73282932000074"
    assert organisation.vat_number == "FR40303265045"
    assert Membership.objects.get(contributor=organisation).role == "owner"
    member = UserFactory.create()
    Membership.objects.create(contributor=organisation, user=member, role="member")
    invitation_create(
        contributor=organisation,
        email="new@example.org",
        role="member",
        actor=user,
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    with pytest.raises(ContributionError, match="Only an owner"):
        invitation_create(
            contributor=organisation,
            email="other@example.org",
            role="member",
            actor=member,
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )


@pytest.mark.parametrize(
    ("siret", "vat"), [("73282932000075", ""), ("732829321", ""), ("", "FR00")]
)
def test_invalid_siret_or_vat_is_refused(siret: str, vat: str) -> None:
    with pytest.raises(ContributionError):
        organisation_create(
            user=UserFactory.create(),
            name="X",
            organisation_kind="company",
            legal_name="X SA",
            country="FR",
            billing_address="a",
            siren_siret=siret,
            vat_number=vat,
        )
    assert Contributor.objects.count() == 0


def test_public_body_commitment_proposes_two_percent() -> None:
    body = OrganisationFactory.create(organisation_kind=OrganisationKind.LOCAL_AUTHORITY)
    assert body.user is not None
    commitment = commitment_create(
        contributor=body,
        project_name="Portail",
        year=2026,
        budget_cents=12_345_600,
        actor=body.user,
    )
    assert commitment.commitment_cents == 246_912
    company = OrganisationFactory.create()
    assert company.user is not None
    with pytest.raises(ContributionError, match="Only public bodies"):
        commitment_create(
            contributor=company, project_name="P", year=2026, budget_cents=100, actor=company.user
        )
