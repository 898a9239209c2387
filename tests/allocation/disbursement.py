"""What the disbursement tests share: a computed month with projects in each
situation of the report, administrators with TOTP and their codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from allocation.models import AllocationRun
from allocation.services import allocation_month_run, disbursement_report
from contributors.models import User
from funds.enums import PaymentEventSource
from funds.services import payment_succeed
from projects.enums import PayoutAccountStatus, ProjectStatus
from projects.models import Project
from tests.factories import TEST_PASSWORD, ProjectFactory, UserFactory
from tests.factories.contributors import EarmarkFactory, PledgeFactory
from tests.factories.funds import PaymentFactory
from tests.factories.projects import PayoutAccountFactory
from tests.totp import totp_code

PERIOD = "2026-03"
AFTER_THE_MONTH = datetime(2026, 4, 2, 9, tzinfo=UTC)


@dataclass
class Admin:
    user: User
    secret: str

    def code(self) -> str:
        return totp_code(self.secret)

    def client(self) -> Client:
        client = Client()
        client.force_login(self.user, backend="django.contrib.auth.backends.ModelBackend")
        return client


def make_admin(name: str, email: str) -> Admin:
    user = UserFactory.create(display_name=name, email=email, is_staff=True, is_superuser=True)
    secret = str(generate_totp_secret())
    TOTP.activate(user, secret)
    return Admin(user=user, secret=secret)


@dataclass
class Month:
    run: AllocationRun
    paid: Project  # verified account, above the threshold: paid out
    small: Project  # verified account, below the threshold: kept
    unverified: Project  # an account awaiting verification: kept
    missing: Project  # no account: kept


def _receipt(project: Project, cents: int, day: int) -> None:
    pledge = PledgeFactory.create(amount_cents=cents)
    EarmarkFactory.create(pledge=pledge, project=project, share_bp=5000)
    payment_succeed(
        payment=PaymentFactory.create(pledge=pledge),
        gross_cents=cents,
        processor_fee_cents=0,
        received_at=datetime(2026, 3, day, 12, tzinfo=UTC),
        source=PaymentEventSource.STRIPE_WEBHOOK,
    )


def computed_month(*, started_by: Any = None) -> Month:
    """March 2026 allocated: each project earmarked half of its pledges."""
    projects = {
        key: ProjectFactory.create(name=name, status=ProjectStatus.ADMITTED)
        for key, name in (
            ("paid", "Alpha Paid"),
            ("small", "Beta Small"),
            ("unverified", "Gamma Unverified"),
            ("missing", "Delta Missing"),
        )
    }
    for key, cents in (("paid", 24_000), ("small", 2_000), ("unverified", 16_000)):
        _receipt(projects[key], cents, day=len(key))
    _receipt(projects["missing"], 12_000, day=20)
    for key in ("paid", "small"):
        PayoutAccountFactory.create(
            project=projects[key],
            holder_name=f"{projects[key].name} association",
            status=PayoutAccountStatus.VERIFIED,
            verified_at=AFTER_THE_MONTH,
        )
    PayoutAccountFactory.create(project=projects["unverified"])
    run = allocation_month_run(period=PERIOD, actor=started_by, at=AFTER_THE_MONTH)
    return Month(run=run, **projects)


def approve(admin: Admin, run: AllocationRun, **overrides: Any) -> Any:
    from allocation.services import disbursement_approve  # noqa: PLC0415 -- test helper

    values = {
        "password": TEST_PASSWORD,
        "totp_code": admin.code(),
        "content_sha256": disbursement_report(run=run).sha256,
        **overrides,
    }
    return disbursement_approve(run=run, actor=admin.user, **values)
