"""Four eyes on the disbursement report: each bypass attempt is refused and
logged (the issue's list, one test each), and a change of the report after an
approval voids it, saying why."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from allocation import tasks
from allocation.errors import DisbursementError
from allocation.models import Approval, Payout, PayoutBatch
from allocation.services import (
    approvals_refresh,
    disbursement_report,
    payout_batch_create,
    valid_approvals,
)
from librery.models import LogEntry
from projects.enums import PayoutAccountStatus, ProjectStatus
from projects.services import payout_account_transition, project_suspend
from tests.allocation.disbursement import Month, approve, computed_month
from tests.factories import MaintainershipFactory, UserFactory
from tests.tasks import queued_tasks

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def refusals(action: str = "allocation.approval.refused") -> list[str]:
    return list(
        LogEntry.objects.filter(action=action).order_by("pk").values_list("data__reason", flat=True)
    )


@contextmanager
def half_a_minute_later() -> Iterator[None]:
    """The next TOTP window: a fresh code (allauth takes each code once)."""
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        yield


def test_two_administrators_approve_and_the_second_approval_makes_the_batch(
    month: Month, ada: Any, bob: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first = approve(ada, month.run)
    assert first.content_sha256 == disbursement_report(run=month.run).sha256
    with (
        queued_tasks(tasks.create_payout_batch) as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        approve(bob, month.run)
    assert queued == [{"run_id": month.run.pk}]
    batch = PayoutBatch.objects.get(run=month.run)
    assert [(p.project, p.amount_cents) for p in batch.payouts.all()] == [(month.paid, 12_000)]
    assert refusals() == []
    assert list(
        LogEntry.objects.filter(action="allocation.approval.recorded")
        .order_by("pk")
        .values_list("actor__email", flat=True)
    ) == ["ada@example.org", "bob@example.org"]


def test_the_first_approval_alone_makes_no_batch(
    month: Month, ada: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        queued_tasks(tasks.create_payout_batch) as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        approve(ada, month.run)
    assert queued == []
    assert not PayoutBatch.objects.exists()


def test_bypass_self_approval_twice_is_refused_and_logged(month: Month, ada: Any) -> None:
    approve(ada, month.run)
    with half_a_minute_later(), pytest.raises(DisbursementError, match="approved this report"):
        approve(ada, month.run)
    assert refusals() == ["already_approved"]
    assert Approval.objects.count() == 1
    with pytest.raises(DisbursementError, match="two valid approvals"):
        payout_batch_create(run=month.run, via="shell")


def test_bypass_same_approver_under_two_sessions_is_refused_and_logged(
    month: Month, ada: Any
) -> None:
    sha = disbursement_report(run=month.run).sha256
    url = f"/en/staff/disbursement/{month.run.period}/approve/"
    first, second = ada.client(), ada.client()
    assert first.session.session_key != second.session.session_key
    ok = first.post(
        url, {"password": "correct horse battery staple", "code": ada.code(), "sha256": sha}
    )
    assert ok.status_code == 302
    with half_a_minute_later():
        again = second.post(
            url, {"password": "correct horse battery staple", "code": ada.code(), "sha256": sha}
        )
    assert again.status_code == 400
    assert "approved this report already" in again.text
    assert refusals() == ["already_approved"]
    # And the database refuses a second live approval, whatever the code path.
    with pytest.raises(IntegrityError), transaction.atomic():
        Approval.objects.create(
            run=month.run,
            administrator=ada.user,
            content_sha256=sha,
            approved_at=timezone.now(),
        )


def test_bypass_a_maintainer_approving_is_refused_and_logged(month: Month, ada: Any) -> None:
    MaintainershipFactory.create(project=month.small, user=ada.user)
    with pytest.raises(DisbursementError, match="You maintain Beta Small"):
        approve(ada, month.run)
    assert refusals() == ["maintainer"]
    assert not Approval.objects.exists()


def test_bypass_the_administrator_who_started_the_run_is_refused_and_logged(ada: Any) -> None:
    month = computed_month(started_by=ada.user)
    with pytest.raises(DisbursementError, match="You started this run"):
        approve(ada, month.run)
    assert refusals() == ["started_the_run"]


def test_bypass_approving_a_stale_hash_is_refused_and_logged(month: Month, ada: Any) -> None:
    seen = disbursement_report(run=month.run).sha256
    account = month.unverified.payout_account
    payout_account_transition(
        account=account, to_status=PayoutAccountStatus.VERIFIED, actor=ada.user
    )
    with pytest.raises(DisbursementError, match="report changed since you read it"):
        approve(ada, month.run, content_sha256=seen)
    assert refusals() == ["stale_report"]
    assert not Approval.objects.exists()


def test_bypass_editing_after_approval_voids_the_approval_with_its_reason(
    month: Month, ada: Any, bob: Any
) -> None:
    first = approve(ada, month.run)
    project_suspend(project=month.paid, actor=bob.user, reference="test")
    report = approvals_refresh(run=month.run)
    first.refresh_from_db()
    assert first.voided_at is not None
    assert first.void_changes == [
        {"project": "Alpha Paid", "field": "status", "before": "admitted", "after": "suspended"},
        {"project": "Alpha Paid", "field": "proposed_payout_cents", "before": 12000, "after": 0},
    ]
    assert "Alpha Paid: status admitted -> suspended" in first.void_reason
    assert valid_approvals(run=month.run, report=report) == []
    assert LogEntry.objects.filter(action="allocation.approval.voided").count() == 1
    # Bob's approval of the new content is the first again: no batch.
    approve(bob, month.run)
    assert not PayoutBatch.objects.exists()


def test_bypass_a_payout_account_verified_after_approval_voids_it(
    month: Month, ada: Any, bob: Any
) -> None:
    approve(ada, month.run)
    payout_account_transition(
        account=month.unverified.payout_account,
        to_status=PayoutAccountStatus.VERIFIED,
        actor=bob.user,
    )
    approve(bob, month.run)
    with pytest.raises(DisbursementError, match="two valid approvals"):
        payout_batch_create(run=month.run, via="shell")
    voided = Approval.objects.get(administrator=ada.user)
    assert voided.void_changes[0] == {
        "project": "Gamma Unverified",
        "field": "account",
        "before": "unverified",
        "after": "verified",
    }
    assert refusals("allocation.batch.refused") == ["approvals_missing"]


def test_bypass_executing_the_batch_through_the_shell_without_approvals(month: Month) -> None:
    with pytest.raises(DisbursementError, match="two valid approvals"):
        payout_batch_create(run=month.run, via="shell")
    entry = LogEntry.objects.get(action="allocation.batch.refused")
    assert entry.data == {
        "reason": "approvals_missing",
        "via": "shell",
    }
    assert not PayoutBatch.objects.exists()
    assert not Payout.objects.exists()


def test_bypass_executing_the_batch_through_a_task_without_approvals(
    month: Month, ada: Any
) -> None:
    approve(ada, month.run)
    assert tasks.create_payout_batch.apply(kwargs={"run_id": month.run.pk}).get() is None
    assert LogEntry.objects.get(action="allocation.batch.refused").data["via"] == "task"
    assert not PayoutBatch.objects.exists()


def test_bypass_a_non_administrator_cannot_approve(month: Month) -> None:
    user = UserFactory.create(email="mallory@example.org")
    from allocation.services import disbursement_approve  # noqa: PLC0415

    with pytest.raises(DisbursementError, match="Only an administrator"):
        disbursement_approve(
            run=month.run,
            actor=user,
            password="correct horse battery staple",
            totp_code="000000",
            content_sha256=disbursement_report(run=month.run).sha256,
        )
    assert refusals() == ["not_administrator"]


@pytest.mark.parametrize("wrong", ["password", "code", "replayed"])
def test_bypass_without_fresh_password_and_totp_is_refused(
    month: Month, ada: Any, wrong: str
) -> None:
    code = ada.code()
    if wrong == "replayed":
        from allauth.mfa.models import Authenticator  # noqa: PLC0415
        from allauth.mfa.totp.internal.auth import TOTP  # noqa: PLC0415

        assert TOTP(Authenticator.objects.get(user=ada.user)).validate_code(code)  # at log-in
    overrides = {"password": "not my password"} if wrong == "password" else {}
    if wrong == "code":
        overrides["totp_code"] = "123456" if code != "123456" else "654321"
    else:
        overrides["totp_code"] = code
    with pytest.raises(DisbursementError, match="password or your two-factor code"):
        approve(ada, month.run, **overrides)
    assert refusals() == ["credentials"]
    assert not Approval.objects.exists()


def test_a_suspended_project_is_flagged_and_held(month: Month, ada: Any) -> None:
    project_suspend(project=month.paid, actor=ada.user, reference="test")
    report = disbursement_report(run=month.run)
    line = next(line for line in report.lines if line["name"] == "Alpha Paid")
    assert line["flags"] == ["not_admitted"]
    assert line["proposed_payout_cents"] == 0
    assert month.paid.status == ProjectStatus.ADMITTED  # the instance is stale, the row is not


def test_bypass_executing_the_batch_through_the_api_without_approvals(
    month: Month, ada: Any
) -> None:
    approve(ada, month.run)
    response = ada.client().post(
        f"/api/v1/allocation/runs/{month.run.period}/batch/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "two valid approvals" in response.json()["detail"]
    assert LogEntry.objects.get(action="allocation.batch.refused").data["via"] == "api"
    assert not PayoutBatch.objects.exists()


def test_the_api_returns_the_batch_of_an_approved_report(month: Month, ada: Any, bob: Any) -> None:
    approve(ada, month.run)
    approve(bob, month.run)
    response = bob.client().post(f"/api/v1/allocation/runs/{month.run.period}/batch/")
    assert response.status_code == 201
    batch = PayoutBatch.objects.get()
    assert response.json() == {
        "id": batch.pk,
        "period": "2026-03",
        "content_sha256": batch.content_sha256,
        "total_cents": 12_000,
        "currency": "EUR",
        "created_at": response.json()["created_at"],
        "payouts": 1,
    }
    again = ada.client().post(f"/api/v1/allocation/runs/{month.run.period}/batch/")
    assert again.json()["id"] == batch.pk
    assert Payout.objects.count() == 1


def test_bypass_executing_the_batch_through_the_admin_without_approvals(
    month: Month, ada: Any
) -> None:
    response = ada.client().post(
        "/en/admin/allocation/allocationrun/",
        {"action": "create_payout_batch", "_selected_action": [month.run.pk]},
        follow=True,
    )
    assert "two valid approvals" in response.text
    assert LogEntry.objects.get(action="allocation.batch.refused").data["via"] == "admin"
    assert not PayoutBatch.objects.exists()


def test_the_admin_makes_the_batch_of_an_approved_report(month: Month, ada: Any, bob: Any) -> None:
    approve(ada, month.run)
    approve(bob, month.run)
    response = ada.client().post(
        "/en/admin/allocation/allocationrun/",
        {"action": "create_payout_batch", "_selected_action": [month.run.pk]},
        follow=True,
    )
    batch = PayoutBatch.objects.get()
    assert f"2026-03: the payout batch #{batch.pk} exists." in response.text
    page = ada.client().get(f"/en/admin/allocation/allocationrun/{month.run.pk}/change/")
    assert f'href="/en/staff/disbursement/{month.run.period}/"' in page.text
    index = ada.client().get("/en/admin/")
    assert 'href="/en/staff/disbursement/"' in index.text
