"""Factories of the contributors app (pledges, earmarks, organisations)."""

from __future__ import annotations

import uuid

import factory
from django.utils import timezone

from contributors.enums import (
    ContributorKind,
    MembershipRole,
    OrganisationKind,
    PledgeChangeKind,
    PledgeFrequency,
    PledgeStatus,
)
from contributors.models import Commitment, Earmark, Membership, Pledge, PledgeChange
from funds.enums import PaymentMethod
from tests.factories.core import ContributorFactory, ProjectFactory, UserFactory


class OrganisationFactory(ContributorFactory):
    kind = ContributorKind.ORGANISATION
    name = factory.Sequence(lambda n: f"Organisation {n}")
    organisation_kind = OrganisationKind.COMPANY
    legal_name = factory.LazyAttribute(lambda o: f"{o.name} SAS")
    country = "FR"
    billing_address = "1 rue de l'Exemple, 75001 Paris"
    siren_siret = "732829320"


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    contributor = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = MembershipRole.MEMBER


class CommitmentFactory(factory.django.DjangoModelFactory[Commitment]):
    class Meta:
        model = Commitment

    contributor = factory.SubFactory(
        OrganisationFactory, organisation_kind=OrganisationKind.LOCAL_AUTHORITY
    )
    project_name = "Portail citoyen"
    year = 2026
    budget_cents = 10_000_000
    commitment_cents = 200_000


class PledgeFactory(factory.django.DjangoModelFactory[Pledge]):
    class Meta:
        model = Pledge

    contributor = factory.SubFactory(ContributorFactory)
    created_by = factory.LazyAttribute(lambda o: o.contributor.user)
    frequency = PledgeFrequency.ONE_TIME
    amount_cents = 5000
    payment_method = PaymentMethod.CARD
    status = PledgeStatus.AWAITING_PAYMENT
    idempotency_token = factory.LazyFunction(uuid.uuid4)


class EarmarkFactory(factory.django.DjangoModelFactory[Earmark]):
    class Meta:
        model = Earmark

    pledge = factory.SubFactory(PledgeFactory)
    project = factory.SubFactory(ProjectFactory, status="admitted")
    share_bp = 2000


class PledgeChangeFactory(factory.django.DjangoModelFactory[PledgeChange]):
    class Meta:
        model = PledgeChange

    pledge = factory.SubFactory(PledgeFactory)
    kind = PledgeChangeKind.CREATED
    at = factory.LazyFunction(timezone.now)
