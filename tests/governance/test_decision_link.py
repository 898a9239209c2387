"""A project admitted by the portal's vote links, from its governance history,
to the decision that admitted it; one admitted in the admin names its reference."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from contributors.models import User
from governance.models import Ballot
from projects import services as project_services
from projects.enums import ProjectStatus
from tests.factories import ProjectFactory
from tests.governance.test_decision_numbers import adopted

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_the_project_page_links_to_the_decision_that_admitted_it(
    board: dict[str, list[User]],
    open_ballot: Callable[..., Ballot],
    staff: User,
    anonymous: Client,
) -> None:
    project = ProjectFactory.create(name="Inkscape")
    released = adopted(
        open_ballot, board, staff, "Admit Inkscape", effect="admit_project", effect_project=project
    )

    english = anonymous.get(f"/en/projects/{project.slug}/").text
    link = f'<a href="/en/governance/register/{released.pk}/">{released.decision_number}</a>'
    assert link in english
    french = anonymous.get(f"/projects/{project.slug}/").text
    assert f'<a href="/governance/register/{released.pk}/">' in french


def test_a_decision_recorded_in_the_admin_is_named_without_a_link(
    staff: User, anonymous: Client
) -> None:
    project = ProjectFactory.create(name="Inkscape", status=ProjectStatus.PROPOSED)
    project_services.project_admit(project=project, actor=staff, reference="CA 2026-04-02")

    page = anonymous.get(f"/en/projects/{project.slug}/").text
    assert "<td>CA 2026-04-02</td>" in page
    assert "/governance/register/" not in page.split('id="governance-title"')[1]
