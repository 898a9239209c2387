from __future__ import annotations

import pytest
from django.test import Client

from contributors.models import User
from librery.models import LogEntry
from projects.enums import PayoutAccountStatus, ProjectStatus
from tests.factories import ProjectFactory
from tests.factories.projects import PayoutAccountFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
URL = "/en/admin/projects/project/"


def test_admin_records_a_suspension_with_its_reference(
    administrator: Client, administrator_user: User
) -> None:
    project = ProjectFactory.create(status=ProjectStatus.ADMITTED)
    asked = administrator.post(
        URL, {"action": "suspend_projects", "_selected_action": [project.pk]}
    )
    assert asked.status_code == 200
    assert "Decision reference" in asked.text
    project.refresh_from_db()
    assert project.status == ProjectStatus.ADMITTED

    done = administrator.post(
        URL,
        {
            "action": "suspend_projects",
            "_selected_action": [project.pk],
            "apply": "1",
            "reference": "GB-2026-07 motion 3",
        },
    )
    assert done.status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUSPENDED
    entry = LogEntry.objects.get(action="projects.project.suspended")
    assert entry.actor_id == administrator_user.pk
    assert entry.data["reference"] == "GB-2026-07 motion 3"
    assert entry.created_at is not None


def test_admin_admission_without_reference_changes_nothing(administrator: Client) -> None:
    project = ProjectFactory.create()
    response = administrator.post(
        URL,
        {"action": "admit_projects", "_selected_action": [project.pk], "apply": "1"},
    )
    assert response.status_code == 200
    assert "This field is required" in response.text
    project.refresh_from_db()
    assert project.status == ProjectStatus.PROPOSED


def test_admin_sees_masked_iban_and_verifies(
    administrator: Client, administrator_user: User
) -> None:
    account = PayoutAccountFactory.create()
    listing = administrator.get("/en/admin/projects/payoutaccount/")
    assert listing.status_code == 200
    assert "FR76 •••• •••• •••• •••• •••• 189" in listing.text
    assert "FR7630006000011234567890189" not in listing.text
    detail = administrator.get(f"/en/admin/projects/payoutaccount/{account.pk}/change/")
    assert "FR7630006000011234567890189" not in detail.text
    response = administrator.post(
        "/en/admin/projects/payoutaccount/",
        {"action": "verify_accounts", "_selected_action": [account.pk]},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.status == PayoutAccountStatus.VERIFIED
    assert account.verified_by == administrator_user


def test_admin_pages_render(administrator: Client) -> None:
    project = ProjectFactory.create()
    for url in (
        URL,
        f"{URL}{project.pk}/change/",
        "/en/admin/projects/fundingentity/",
        "/en/admin/projects/projectclaim/",
    ):
        assert administrator.get(url).status_code == 200, url
