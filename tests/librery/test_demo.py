from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from contributors.models import Commitment, Contributor, Pledge, User
from contributors.sbom import sbom_parse
from contributors.selectors_sbom import sbom_match
from demo import data as demo
from demo.sbom import DEMO_IDENTIFIERS, DEMO_SBOM
from funds.enums import PaymentRequestStatus, PaymentStatus
from funds.models import Payment, PaymentRequest, Receipt
from funds.selectors import books_check
from governance import tally
from governance.enums import BallotKind, BallotStatus
from governance.models import Ballot, Mandate, Vote
from governance.selectors import pool_shares_in_force
from projects.enums import PayoutAccountStatus, ProjectStatus
from projects.models import Maintainership, PayoutAccount, Project

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _client_for(email: str) -> Client:
    client = Client()
    client.force_login(
        User.objects.get(email=email), backend="django.contrib.auth.backends.ModelBackend"
    )
    return client


def _counts() -> dict[str, int]:
    """Rows of every model of the project and its libraries."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_demo_data_refuses_without_demo_mode(settings: Any) -> None:
    settings.LIBRERY_DEMO = False
    with pytest.raises(CommandError, match="only with LIBRERY_DEMO=True"):
        call_command("load_demo")
    with pytest.raises(CommandError, match="only with LIBRERY_DEMO=True"):
        call_command("demo_totp")
    assert User.objects.count() == 0


def test_demo_data_loads_once_and_labels_fiction(
    capsys: pytest.CaptureFixture[str], settings: Any
) -> None:
    settings.LIBRERY_DEMO = True
    call_command("load_demo")
    out = capsys.readouterr().out
    for user in demo.DEMO_USERS:
        assert f"{user.email}" in out
        assert user.password in out
        assert user.role in out
    call_command("load_demo")  # idempotent
    assert Project.objects.count() == 225
    assert Project.objects.filter(status=ProjectStatus.ADMITTED).count() == 6
    assert User.objects.count() == len(demo.DEMO_USERS)
    assert all(demo.is_demo_email(user.email) for user in User.objects.all())
    assert Contributor.objects.count() == len(demo.DEMO_CONTRIBUTORS)
    assert all(c.is_demo and "(fictional demo)" in c.name for c in Contributor.objects.all())
    admin = User.objects.get(email=demo.DEMO_USERS[0].email)
    assert admin.is_staff
    assert Authenticator.objects.filter(user=admin).count() == 2  # TOTP + recovery codes
    assert list(
        Maintainership.objects.order_by("project__name").values_list("project__name", flat=True)
    ) == ["LibreOffice", "Qgis"]  # the demo maintainer's two projects


def test_demo_loads_twice_without_change() -> None:
    demo.demo_load()
    first = _counts()
    demo.demo_load()
    assert _counts() == first
    # What the demo creates, so that the comparison above is not vacuous.
    assert first["contributors.Pledge"] == 3
    assert first["funds.Receipt"] == 3
    assert first["funds.PaymentRequest"] == 4
    assert first["governance.Ballot"] == 3
    assert first["governance.Mandate"] == 5
    assert first["projects.PayoutAccount"] == 2
    assert first["allocation.Approval"] == 2
    assert first["allocation.PayoutBatch"] == 1
    assert first["projects.ProjectIdentifier"] >= len(DEMO_IDENTIFIERS)


def test_the_books_hold_after_the_demo() -> None:
    demo.demo_load()
    assert books_check() == []
    out = StringIO()
    call_command("check_books", stdout=out)
    assert "every invariant holds" in out.getvalue()
    assert set(Payment.objects.values_list("status", flat=True)) == {
        PaymentStatus.SUCCEEDED,
        PaymentStatus.PENDING,
    }


def test_demo_contributor_sees_pledges_receipts_and_a_request_awaiting_payment() -> None:
    demo.demo_load()
    user = User.objects.get(email=demo.CONTRIBUTOR.email)
    pledges = Pledge.objects.filter(contributor__user=user)
    assert sorted(pledges.values_list("frequency", flat=True)) == ["monthly", "one_time"]
    monthly = pledges.get(frequency="monthly")
    assert monthly.earmarks.count() == 2
    assert all(e.project.status == ProjectStatus.ADMITTED for e in monthly.earmarks.all())
    receipts = Receipt.objects.filter(pledge__in=pledges)
    assert receipts.count() == 2
    waiting = PaymentRequest.objects.get(
        pledge__in=pledges, status=PaymentRequestStatus.AWAITING_PAYMENT
    )

    client = _client_for(demo.CONTRIBUTOR.email)
    page = client.get("/en/contribute/mine/")
    assert page.status_code == 200
    html = page.text
    assert 'id="receipts"' in html
    assert "No receipt yet." not in html
    assert waiting.number in html
    assert "Awaiting payment" in html
    for receipt in receipts:
        pdf = client.get(f"/en/funds/receipts/{receipt.pk}/attestation-fr.pdf")
        assert pdf.status_code == 200
        assert pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    request_pdf = client.get(f"/en/funds/requests/{waiting.pk}/pdf/")
    assert request_pdf.status_code == 200
    assert request_pdf.content.startswith(b"%PDF")


def test_demo_public_body_has_a_partly_paid_commitment() -> None:
    demo.demo_load()
    commitment = Commitment.objects.get(contributor__name=demo.COMMUNE_NAME)
    paid = sum(
        Receipt.objects.filter(pledge__commitment=commitment).values_list("gross_cents", flat=True)
    )
    assert 0 < paid < commitment.commitment_cents
    html = _client_for(demo.PUBLIC.email).get("/en/contribute/mine/").text
    assert demo.COMMITMENT_PROJECT in html
    assert 'id="commitments"' in html


def test_demo_seat_holder_can_open_and_vote_in_the_open_ballots() -> None:
    demo.demo_load()
    now = timezone.now()
    open_ballots = Ballot.objects.filter(status=BallotStatus.OPEN, closes_at__gt=now)
    open_round = open_ballots.get(kind=BallotKind.ROUND)
    motion = open_ballots.get(kind=BallotKind.MOTION)
    seat_user = User.objects.get(email=demo.SEAT_HOLDER.email)
    assert {e["holder"] for e in open_round.electorate} == set(
        Mandate.objects.values_list("holder_id", flat=True)
    )
    assert {e["college"] for e in open_round.electorate} == {
        "commoners",
        "public",
        "private",
        "scientific",
    }

    client = _client_for(demo.SEAT_HOLDER.email)
    assert client.get("/en/governance/portal/").status_code == 200
    round_page = client.get(f"/en/governance/portal/ballots/{open_round.pk}/")
    assert round_page.status_code == 200
    assert demo.OPEN_ROUND_TITLE in round_page.text
    motion_page = client.get(f"/en/governance/portal/ballots/{motion.pk}/")
    assert motion_page.status_code == 200
    assert demo.OPEN_MOTION_TITLE in motion_page.text

    libreoffice = Project.objects.get(name="LibreOffice", status=ProjectStatus.ADMITTED)
    placed = client.post(
        f"/en/governance/portal/ballots/{open_round.pk}/", {f"p_{libreoffice.pk}": "600"}
    )
    assert placed.status_code == 302
    assert Vote.objects.get(ballot=open_round, member=seat_user).points == {
        str(libreoffice.pk): 600
    }
    voted = client.post(f"/en/governance/portal/ballots/{motion.pk}/", {"choice": "for"})
    assert voted.status_code == 302
    assert Vote.objects.get(ballot=motion, member=seat_user).choice == "for"


def test_demo_register_shows_the_adopted_round_in_force(anonymous: Client) -> None:
    demo.demo_load()
    released = Ballot.objects.get(title=demo.PAST_ROUND_TITLE)
    assert released.status == BallotStatus.RELEASED
    assert released.adopted is True
    assert tally.bundle_recompute(released.bundle) == (True, [])
    in_force = pool_shares_in_force(at=timezone.now())
    assert in_force is not None
    assert in_force.ballot_id == released.pk
    assert sum(in_force.shares.values()) == 1
    assert set(in_force.shares) <= set(
        Project.objects.filter(status=ProjectStatus.ADMITTED).values_list("pk", flat=True)
    )
    register = anonymous.get("/en/governance/register/")
    assert register.status_code == 200
    assert demo.PAST_ROUND_TITLE in register.text
    assert released.decision_number is not None
    assert released.decision_number in register.text
    decision = anonymous.get(f"/en/governance/register/{released.pk}/")
    assert decision.status_code == 200
    assert "LibreOffice" in decision.text


def test_demo_payout_account_awaits_verification() -> None:
    demo.demo_load()
    account = PayoutAccount.objects.get(project__name="Qgis")
    assert account.status == PayoutAccountStatus.UNVERIFIED
    assert account.iban == demo.DEMO_PAYOUT_IBAN.replace(" ", "")


def test_demo_content_on_the_public_pages(anonymous: Client) -> None:
    demo.demo_load()
    home = anonymous.get("/en/").text
    assert "LibreOffice" in home
    assert "Licence Ouverte 2.0" in home
    transparency = anonymous.get("/en/transparency/").text
    assert "Fictional demo" in transparency
    assert "Secret demo person" not in transparency
    assert "Anonymous demo person" not in transparency
    assert "Anonymous contributor" in transparency


def test_demo_totp_prints_the_admins_current_code(
    capsys: pytest.CaptureFixture[str], settings: Any
) -> None:
    settings.LIBRERY_DEMO = True
    demo.demo_load()
    call_command("demo_totp")
    code = capsys.readouterr().out.strip()
    admin = User.objects.get(email=demo.DEMO_USERS[0].email)
    totp = TOTP(Authenticator.objects.get(user=admin, type=Authenticator.Type.TOTP))
    assert totp.validate_code(code)


def test_demo_totp_refuses_real_users(settings: Any) -> None:
    settings.LIBRERY_DEMO = True
    with pytest.raises(CommandError, match="Only demo users"):
        call_command("demo_totp", "--email", "someone@example.org")


def test_the_demo_allocates_last_month_with_the_round_in_force(anonymous: Client) -> None:
    from allocation.models import AllocationRun  # noqa: PLC0415 -- only this test
    from allocation.services import previous_period  # noqa: PLC0415 -- only this test
    from funds.selectors import pool_balance_cents, project_balances_cents  # noqa: PLC0415

    demo.demo_load()
    run = AllocationRun.objects.get()
    assert (run.period, run.status, run.receipts_count) == (
        previous_period(timezone.now()),
        "computed",
        3,
    )
    # 25 + 100 + 2 000 EUR received; the monthly pledge earmarks 20 % and 15 %.
    assert (run.net_cents, run.earmarked_cents) == (212_500, 875)
    assert run.round_decision_number != ""
    assert run.pool_shared_cents > 0
    libreoffice = Project.objects.get(name="LibreOffice")
    # Paid out in full by the month's batch (the demo's approved disbursement).
    paid = libreoffice.payouts.get().amount_cents
    assert project_balances_cents()[libreoffice.pk] == 0
    assert paid >= 5_000
    assert pool_balance_cents() == run.pool_carried_out_cents
    assert books_check() == []
    page = anonymous.get(f"/en/transparency/runs/{run.period}/")
    assert page.status_code == 200
    assert "LibreOffice" in page.text


def test_the_demo_month_is_approved_by_both_administrators_with_its_batch(
    capsys: pytest.CaptureFixture[str], settings: Any
) -> None:
    from allocation.models import Approval, PayoutBatch  # noqa: PLC0415 -- only this test
    from allocation.services import disbursement_report  # noqa: PLC0415 -- only this test

    settings.LIBRERY_DEMO = True
    demo.demo_load()
    batch = PayoutBatch.objects.get()
    approvals = Approval.objects.filter(run=batch.run, voided_at__isnull=True)
    assert sorted(approvals.values_list("administrator__email", flat=True)) == sorted(
        [demo.ADMIN.email, demo.ADMIN2.email]
    )
    assert set(approvals.values_list("content_sha256", flat=True)) == {batch.content_sha256}
    assert disbursement_report(run=batch.run).sha256 == batch.content_sha256
    (payout,) = batch.payouts.all()
    assert payout.project.name == "LibreOffice"
    assert payout.amount_cents == batch.total_cents
    assert books_check() == []
    # Both administrators log in with their own code at once (not taken as a replay).
    for spec in (demo.ADMIN, demo.ADMIN2):
        call_command("demo_totp", "--email", spec.email)
        code = capsys.readouterr().out.strip()
        user = User.objects.get(email=spec.email)
        assert TOTP(Authenticator.objects.get(user=user, type="totp")).validate_code(code)
    with pytest.raises(CommandError, match="Only the demo administrators"):
        call_command("demo_totp", "--email", demo.CONTRIBUTOR.email)
    # The demo maintainer sees the payout on "My projects".
    page = _client_for(demo.MAINTAINER.email).get("/en/projects/mine/")
    assert payout.end_to_end_id in page.text


def test_the_demo_sbom_names_demo_projects() -> None:
    """The SBOM shipped with the demo matches admitted demo projects, one project
    of the catalogue that is not admitted, and components outside it."""
    demo.demo_load()
    parsed = sbom_parse(DEMO_SBOM.read_bytes())
    matches = sbom_match(parsed.components)
    matched = [m.project.name for m in matches.matched]
    assert matched == ["GLPI", "LibreOffice", "PostgreSQL", "Qgis"]
    assert [m.project.name for m in matches.not_admitted] == ["Redis"]
    assert sorted(c.name for c in matches.unmatched) == ["left-pad", "requests"]
