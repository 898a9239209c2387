"""One factory per model, with no surprising behaviour."""

from __future__ import annotations

from typing import Any

import factory
from allauth.account.models import EmailAddress

from contributors.enums import ContributorKind, Visibility
from contributors.models import Contributor, User
from projects.enums import MaintainerRole, ProjectStatus
from projects.models import Maintainership, Project
from projects.services import project_search_refresh

TEST_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation  # type: ignore[misc]
    def verified_email(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class ContributorFactory(factory.django.DjangoModelFactory[Contributor]):
    class Meta:
        model = Contributor

    kind = ContributorKind.PERSON
    name = factory.Sequence(lambda n: f"Contributor {n}")
    visibility = Visibility.NAMED
    user = factory.SubFactory(UserFactory)


class ProjectFactory(factory.django.DjangoModelFactory[Project]):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    summary = "A useful commons."
    licences = factory.LazyFunction(lambda: ["MIT"])
    status = ProjectStatus.PROPOSED

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Project:
        # As the services that write a project do: its full-text vector stored.
        project: Project = super()._create(model_class, *args, **kwargs)
        project_search_refresh(project_ids=[project.pk])
        return project


class MaintainershipFactory(factory.django.DjangoModelFactory[Maintainership]):
    class Meta:
        model = Maintainership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = MaintainerRole.OWNER
    is_public = True
