"""The admin's allocation section: runs read-only, a month previewed (nothing
booked) or started in a task, and a running run's page refreshing itself."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from allocation import tasks
from allocation.enums import RunStatus
from allocation.models import AllocationRun
from allocation.services import allocation_run_claim
from contributors.models import User
from funds.enums import PaymentEventSource
from funds.services import payment_succeed
from tests.factories import UserFactory
from tests.factories.contributors import PledgeFactory
from tests.factories.funds import PaymentFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _receipt() -> None:
    pledge = PledgeFactory.create(amount_cents=4_200)
    payment_succeed(
        payment=PaymentFactory.create(pledge=pledge),
        gross_cents=4_200,
        processor_fee_cents=0,
        received_at=datetime(2026, 3, 9, tzinfo=UTC),
        source=PaymentEventSource.STRIPE_WEBHOOK,
    )


def test_preview_books_nothing(administrator: Client) -> None:
    _receipt()
    listing = administrator.get("/en/admin/allocation/allocationrun/")
    assert 'href="/en/admin/allocation/allocationrun/allocate/"' in listing.text
    page = administrator.post(
        "/en/admin/allocation/allocationrun/allocate/", {"period": "2026-03", "preview": "1"}
    )
    assert page.status_code == 200
    assert page.context["preview"].net_cents == 4_200
    assert "€42.00" in page.text
    assert AllocationRun.objects.count() == 0


@pytest.mark.parametrize(
    ("period", "button", "message"),
    [
        ("2026/03", "preview", "Enter a month such as 2026-03."),
        ("2999-01", "run", "The month 2999-01 is not over yet."),
    ],
)
def test_a_bad_month_is_refused_clearly(
    administrator: Client, period: str, button: str, message: str
) -> None:
    page = administrator.post(
        "/en/admin/allocation/allocationrun/allocate/", {"period": period, button: "1"}
    )
    assert page.status_code == 200
    assert message in page.text
    assert AllocationRun.objects.count() == 0


def test_run_starts_a_task_after_commit_and_the_page_follows_it(
    administrator: Client,
    administrator_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _receipt()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = administrator.post(
            "/en/admin/allocation/allocationrun/allocate/", {"period": "2026-03", "run": "1"}
        )
    run = AllocationRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/en/admin/allocation/allocationrun/{run.pk}/change/"
    assert (run.status, run.started_by_id) == (RunStatus.RUNNING, administrator_user.pk)
    assert len(callbacks) == 1  # the task, enqueued once the claim is committed
    running = administrator.get(response["Location"])
    assert '<meta http-equiv="refresh" content="5">' in running.text
    assert "stage started" in running.text
    tasks.run_month(period="2026-03")  # what the worker does
    done = administrator.get(response["Location"])
    assert 'http-equiv="refresh"' not in done.text
    assert "stage published, 1 receipts" in done.text


def test_only_a_superuser_allocates(client: Client) -> None:
    staff = UserFactory.create(is_staff=True)
    allocation_run_claim(period="2026-03", at=datetime(2026, 4, 2, tzinfo=UTC))
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret  # noqa: PLC0415

    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    response = client.post(
        "/en/admin/allocation/allocationrun/allocate/", {"period": "2026-03", "run": "1"}
    )
    assert response.status_code in {302, 403}
    assert AllocationRun.objects.get().started_by_id is None
