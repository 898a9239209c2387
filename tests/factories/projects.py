"""Factories of the projects app (Project and Maintainership live in core)."""

from __future__ import annotations

import factory

from projects.models import PayoutAccount, ProjectUsage
from tests.factories.core import ProjectFactory


class ProjectUsageFactory(factory.django.DjangoModelFactory[ProjectUsage]):
    class Meta:
        model = ProjectUsage

    project = factory.SubFactory(ProjectFactory)
    organisation = factory.Sequence(lambda n: f"Organisation {n}")
    is_public_body = True


class PayoutAccountFactory(factory.django.DjangoModelFactory[PayoutAccount]):
    class Meta:
        model = PayoutAccount

    project = factory.SubFactory(ProjectFactory)
    holder_name = "Association Exemple"
    iban = "FR7630006000011234567890189"
    bic = "AGRIFRPP"
    address = "1 rue de la Paix, 75002 Paris"
