"""One object graph for the standing authorization tests: each persona, and
objects that belong to some of them (so that the others can be tried on them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.utils import timezone

from allocation.services import allocation_month_run
from contributors.enums import MembershipRole, PledgeFrequency
from contributors.models import Contributor, MembershipInvitation, Pledge, Sbom, User
from contributors.services import invitation_token_hash
from funds.enums import PaymentEventSource, PaymentMethod, PaymentStatus, StatementLineStatus
from funds.models import BankStatement, BankStatementLine, Payment, PaymentRequest, Receipt, Refund
from funds.services import payment_request_issue, payment_succeed
from governance import services as governance_services
from governance.enums import CollegeCode
from governance.models import Ballot, Meeting, Seat
from projects.enums import ProjectStatus
from projects.models import FundingEntity, FundingManifestFetch, PayoutAccount, Project
from projects.services import project_claim_start
from tests.factories import ContributorFactory, MaintainershipFactory, ProjectFactory, UserFactory
from tests.factories.contributors import MembershipFactory, OrganisationFactory, PledgeFactory
from tests.factories.funds import PaymentFactory, RefundFactory
from tests.factories.governance import MeetingFactory
from tests.factories.projects import PayoutAccountFactory

# Who is tried on every route.
PERSONAS = (
    "anonymous",
    "contributor",  # owns the pledge, its payments, receipts, requests, the organisation
    "other_contributor",  # another contributor: must never reach the first one's objects
    "maintainer",  # maintains the project (payout account, edit)
    "seat_holder",  # holds a seat: ballots, votes
    "staff_without_totp",  # staff who have not set TOTP up yet: sent to set it up
    "administrator",  # staff with TOTP
)


@dataclass
class Graph:
    users: dict[str, User]
    pledge: Pledge
    payment: Payment
    receipt: Receipt
    payment_request: PaymentRequest
    organisation: Contributor
    project: Project
    claimable: Project
    payout_account: PayoutAccount
    ballot: Ballot
    decision: Ballot
    meeting: Meeting
    statement: BankStatement
    line: BankStatementLine
    refund: Refund
    invitation: MembershipInvitation
    invitation_token: str
    manifest_fetch: FundingManifestFetch
    claim_fetch: FundingManifestFetch
    run_period: str
    sbom: Sbom  # the SBOM of the pledge's contributor
    secrets: dict[str, str] = field(default_factory=dict)

    def client(self, persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            client.force_login(
                self.users[persona], backend="django.contrib.auth.backends.ModelBackend"
            )
        return client


def build_graph() -> Graph:
    now = timezone.now()
    alice = ContributorFactory.create(
        name="Alice Owner", user__email="alice.owner@example.org"
    ).user
    other = ContributorFactory.create(
        name="Oscar Other", user__email="oscar.other@example.org"
    ).user
    assert alice is not None
    assert other is not None
    maintainer = UserFactory.create(display_name="Mona Maintainer", email="mona@example.org")
    seat_holder = UserFactory.create(display_name="Sam Seat", email="sam.seat@example.org")
    staff_plain = UserFactory.create(
        display_name="Stan Staff", email="stan.staff@example.org", is_staff=True
    )
    administrator = UserFactory.create(
        display_name="Ada Admin",
        email="ada.admin@example.org",
        is_staff=True,
        is_superuser=True,
    )
    secret = str(generate_totp_secret())
    TOTP.activate(administrator, secret)

    # The contributor's pledge, paid once by card (a receipt), with a bank
    # transfer request, and an organisation she acts for.
    contributor = alice.contributors.get()
    pledge = PledgeFactory.create(
        contributor=contributor,
        frequency=PledgeFrequency.MONTHLY,
        payment_method=PaymentMethod.BANK_TRANSFER,
        amount_cents=3000,
    )
    payment_request = payment_request_issue(pledge=pledge)
    payment = PaymentFactory.create(
        pledge=pledge,
        method=PaymentMethod.CARD,
        status=PaymentStatus.PENDING,
        stripe_payment_intent_id="pi_authz_alice",
    )
    receipt = payment_succeed(
        payment=payment,
        gross_cents=3000,
        processor_fee_cents=0,
        received_at=now - timedelta(days=2),
        source=PaymentEventSource.SYSTEM,
    )
    payment.refresh_from_db()
    refund = RefundFactory.create(payment=payment, amount_cents=500)
    organisation = OrganisationFactory.create(name="Alice's Cooperative")
    MembershipFactory.create(contributor=organisation, user=alice, role=MembershipRole.OWNER)
    # An invitation to an address none of the personas has.
    invitation_token = "authz-invitation-token"
    invitation = MembershipInvitation.objects.create(
        contributor=organisation,
        email="invitee@example.org",
        role=MembershipRole.MEMBER,
        token_hash=invitation_token_hash(invitation_token),
        invited_by=alice,
        expires_at=now + timedelta(days=7),
    )

    # A project the maintainer maintains (with its payout account), and one with a
    # published manifest that others may claim.
    project = ProjectFactory.create(
        name="Mona's project", slug="monas-project", status=ProjectStatus.ADMITTED
    )
    MaintainershipFactory.create(project=project, user=maintainer)
    payout_account = PayoutAccountFactory.create(project=project)
    entity = FundingEntity.objects.create(
        manifest_url="http://127.0.0.1:9/funding.json",
        kind="organisation",
        role="owner",
        name="Claimable entity",
        email="entity@example.org",
        manifest="{}",
    )
    claimable = ProjectFactory.create(
        name="Claimable project",
        slug="claimable-project",
        status=ProjectStatus.ADMITTED,
        entity=entity,
    )
    # The maintainer's manifest fetch, and the contributor's claim on the other
    # project, waiting for its verification.
    manifest_fetch = FundingManifestFetch.objects.create(
        requested_by=maintainer, url="http://127.0.0.1:9/funding.json", language="en"
    )
    claim = project_claim_start(project=claimable, actor=alice)
    claim_fetch = FundingManifestFetch.objects.create(
        requested_by=alice, url=entity.manifest_url, claim=claim, language="en"
    )

    # Governance: the seat holder holds commoners' seat 1; one ballot open, one released.
    governance_services.college_defaults_ensure(at=now - timedelta(days=400))
    governance_services.mandate_create(
        seat=Seat.objects.get(college__code=CollegeCode.COMMONERS, number=1),
        holder=seat_holder,
        start_date=timezone.localdate() - timedelta(days=365),
        end_date=timezone.localdate() + timedelta(days=730),
    )
    meeting = MeetingFactory.create()
    decision = governance_services.ballot_create(
        kind="motion",
        title="An earlier motion",
        closes_at=now + timedelta(days=3),
        actor=administrator,
        meeting=meeting,
    )
    decision = governance_services.ballot_open(
        ballot=decision, actor=administrator, at=now - timedelta(days=5)
    )
    decision = governance_services.ballot_close(ballot=decision, at=decision.closes_at)
    decision = governance_services.ballot_release(
        ballot=decision, actor=administrator, at=decision.closes_at + timedelta(minutes=1)
    )
    ballot = governance_services.ballot_create(
        kind="motion",
        title="An open motion",
        closes_at=now + timedelta(days=3),
        actor=administrator,
    )
    ballot = governance_services.ballot_open(ballot=ballot, actor=administrator, at=now)

    # A bank statement with one unmatched line, for the administrators' pages.
    statement = BankStatement.objects.create(
        account_iban="FR7630006000011234567890189",
        statement_id="AUTHZ-1",
        sha256="0" * 64,
        uploaded_by=administrator,
        uploaded_at=now,
    )
    line = BankStatementLine.objects.create(
        statement=statement,
        entry_reference="AUTHZ-LINE-1",
        amount_cents=1234,
        currency="EUR",
        is_credit=True,
        status=StatementLineStatus.UNMATCHED,
    )
    # A computed allocation run, whose page and open data are public.
    run_period = allocation_month_run(period="2026-01", at=now).period
    return Graph(
        run_period=run_period,
        users={
            "contributor": alice,
            "other_contributor": other,
            "maintainer": maintainer,
            "seat_holder": seat_holder,
            "staff_without_totp": staff_plain,
            "administrator": administrator,
        },
        pledge=pledge,
        payment=payment,
        receipt=receipt,
        payment_request=payment_request,
        organisation=organisation,
        project=project,
        claimable=claimable,
        payout_account=payout_account,
        ballot=ballot,
        decision=decision,
        meeting=meeting,
        statement=statement,
        line=line,
        refund=refund,
        invitation=invitation,
        invitation_token=invitation_token,
        manifest_fetch=manifest_fetch,
        claim_fetch=claim_fetch,
        sbom=Sbom.objects.create(
            contributor=pledge.contributor,
            format="CycloneDX",
            spec_version="1.5",
            sha256="0" * 64,
            size_bytes=2,
            content=b"{}",
        ),
        secrets={"administrator": secret},
    )
