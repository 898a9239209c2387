from __future__ import annotations

import pytest

from contributors.models import User
from librery.models import LogEntry
from projects import services
from projects.enums import ProjectStatus
from tests.factories import ProjectFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_admit_then_suspend_records_reference_actor_and_time(administrator_user: User) -> None:
    project = ProjectFactory.create()
    admitted = services.project_admit(project=project, actor=administrator_user, reference="GB-1")
    assert admitted.status == ProjectStatus.ADMITTED
    suspended = services.project_suspend(
        project=project, actor=administrator_user, reference="GB-2"
    )
    assert suspended.status == ProjectStatus.SUSPENDED
    entries = list(
        LogEntry.objects.filter(object_id=str(project.pk))
        .order_by("id")
        .values_list("action", "actor", "data")
    )
    assert entries == [
        (
            "projects.project.admitted",
            administrator_user.pk,
            {"reference": "GB-1", "from": "proposed", "to": "admitted"},
        ),
        (
            "projects.project.suspended",
            administrator_user.pk,
            {"reference": "GB-2", "from": "admitted", "to": "suspended"},
        ),
    ]
    assert not suspended.is_fundable


def test_transition_to_current_status_is_a_no_op() -> None:
    project = ProjectFactory.create(status=ProjectStatus.SUSPENDED)
    assert services.project_suspend(project=project, actor=None, reference="GB-3").status == (
        ProjectStatus.SUSPENDED
    )
    assert not LogEntry.objects.exists()


@pytest.mark.parametrize(
    ("start", "service"),
    [
        (ProjectStatus.PROPOSED, services.project_suspend),
        (ProjectStatus.ARCHIVED, services.project_admit),
    ],
)
def test_disallowed_transitions_are_refused_and_change_nothing(start: str, service: object) -> None:
    project = ProjectFactory.create(status=start)
    with pytest.raises(services.ProjectTransitionError, match="cannot become"):
        service(project=project, actor=None, reference="GB-4")  # type: ignore[operator]
    project.refresh_from_db()
    assert project.status == start
    assert not LogEntry.objects.exists()


def test_a_decision_needs_a_reference() -> None:
    project = ProjectFactory.create()
    with pytest.raises(services.ProjectTransitionError, match="reference is required"):
        services.project_admit(project=project, actor=None, reference="  ")
    project.refresh_from_db()
    assert project.status == ProjectStatus.PROPOSED
