"""Demo data for the embedded default: the real SILL 2020 catalogue as
proposed projects (a few admitted), fictional contributors clearly labelled as
such, one demo user for each role, and enough fictional activity to click
through every journey: pledges paid by bank transfer and reconciled by the
demo administrator (receipts, a request awaiting payment), a public body's 2 %
commitment, seat holders in every college with a motion and a pool allocation
round open now and an earlier round released, and an unverified payout
account. Pledges, payments, receipts, commitments, mandates, ballots and
payout accounts go through the apps' services. Idempotent: a second run
changes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from allocation.services import allocation_month_run, period_bounds, previous_period
from contributors import services as contributor_services
from contributors.enums import (
    PUBLIC_BODY_KINDS,
    ContributorKind,
    OrganisationKind,
    PledgeFrequency,
    Visibility,
)
from contributors.models import Commitment, Contributor, Pledge, User
from demo.disbursement import demo_administrator_totp, demo_disbursement
from demo.sbom import demo_identifiers
from funds import services as fund_services
from funds.enums import PaymentMethod, PaymentRequestStatus
from funds.models import PaymentRequest
from governance import services as governance_services
from governance.enums import BallotKind, BallotStatus, CollegeCode, MotionEffect
from governance.models import Ballot, Mandate, Seat
from projects import services as project_services
from projects.enums import MaintainerRole, ProjectStatus
from projects.models import Maintainership, PayoutAccount, Project

DEMO_EMAIL_DOMAIN = "demo.librery.test"
# A fixed secret so that `manage.py demo_totp` can print the administrator's code.
DEMO_TOTP_SECRET = "LIBRERYDEMOADMINTOTPSECRETXXXXXX"  # noqa: S105 -- public, demo only
# The second administrator's, for the four eyes of the disbursement.
DEMO_TOTP_SECRET_2 = "LIBRERYDEMOSECONDADMINTOTPXXXXXX"  # noqa: S105 -- public, demo only
# SILL entries admitted in the demo, by their name in the SILL.
ADMITTED_SILL_NAMES = (
    "LibreOffice",
    "PostgreSQL",
    "Qgis",
    "VLC",
    "GLPI",
    "Mozilla Firefox (Extended Support Release)",
)
DEMO_DECISION = "DEMO-2026-001 (fictional demo decision)"
# Deterministic form tokens, so that the demo pledges are created once.
_TOKENS = uuid.UUID("6c1b6f0e-9d6a-4c1e-8f53-6c6962726572")


@dataclass(frozen=True)
class DemoUser:
    role: str
    email: str
    password: str


ADMIN = DemoUser("administrator", f"admin@{DEMO_EMAIL_DOMAIN}", "demo-admin-librery")
ADMIN2 = DemoUser(
    "second administrator (four eyes)", f"admin2@{DEMO_EMAIL_DOMAIN}", "demo-admin2-librery"
)
CONTRIBUTOR = DemoUser(
    "contributor", f"contributor@{DEMO_EMAIL_DOMAIN}", "demo-contributor-librery"
)
MAINTAINER = DemoUser("maintainer", f"maintainer@{DEMO_EMAIL_DOMAIN}", "demo-maintainer-librery")
SEAT_HOLDER = DemoUser("seat holder", f"seat@{DEMO_EMAIL_DOMAIN}", "demo-seat-librery")
COMMONER2 = DemoUser(
    "seat holder (commoners)", f"commoner2@{DEMO_EMAIL_DOMAIN}", "demo-commoner2-librery"
)
PUBLIC = DemoUser(
    "seat holder (public actors), acts for the demo commune",
    f"public@{DEMO_EMAIL_DOMAIN}",
    "demo-public-librery",
)
PRIVATE = DemoUser(
    "seat holder (private actors)", f"private@{DEMO_EMAIL_DOMAIN}", "demo-private-librery"
)
SCIENCE = DemoUser(
    "seat holder (scientific committee)", f"science@{DEMO_EMAIL_DOMAIN}", "demo-science-librery"
)
DEMO_USERS = (
    ADMIN,
    ADMIN2,
    CONTRIBUTOR,
    MAINTAINER,
    SEAT_HOLDER,
    COMMONER2,
    PUBLIC,
    PRIVATE,
    SCIENCE,
)
# Each demo administrator's TOTP secret, by email (`manage.py demo_totp`).
DEMO_TOTP_SECRETS = {ADMIN.email: DEMO_TOTP_SECRET, ADMIN2.email: DEMO_TOTP_SECRET_2}
# Who holds which seat (college, seat number).
DEMO_SEATS = (
    (SEAT_HOLDER, CollegeCode.COMMONERS, 1),
    (COMMONER2, CollegeCode.COMMONERS, 2),
    (PUBLIC, CollegeCode.PUBLIC, 1),
    (PRIVATE, CollegeCode.PRIVATE, 1),
    (SCIENCE, CollegeCode.SCIENTIFIC, 1),
)

COMMUNE_NAME = "Commune de Belleville-sur-Code (fictional demo)"
# Invented names only: no real organisation is ever shown giving money it did not give.
# The commune is created below as a public body, through the contributors' services.
DEMO_CONTRIBUTORS = (
    ("Camille Exemple", ContributorKind.PERSON, Visibility.NAMED, "contributor"),
    ("Commune de Belleville-sur-Code", ContributorKind.ORGANISATION, Visibility.NAMED, "public"),
    ("Exemplum Logiciels SAS", ContributorKind.ORGANISATION, Visibility.NAMED, None),
    ("Anonymous demo person", ContributorKind.PERSON, Visibility.ANONYMOUS, None),
    ("Secret demo person", ContributorKind.PERSON, Visibility.SECRET, None),
)
COMMITMENT_PROJECT = "Belleville citizen portal (fictional demo)"

# Ballots (titles are demo data, like the contributors' names).
PAST_ROUND_TITLE = "Pool allocation round, previous period (fictional demo)"
OPEN_ROUND_TITLE = "Pool allocation round, current period (fictional demo)"
OPEN_MOTION_TITLE = "Admit Inkscape to the fund (fictional demo motion)"
MOTION_PROJECT = "Inkscape"
# Points each seat holder placed in the earlier round, by project name.
PAST_ROUND_POINTS: dict[str, dict[str, int]] = {
    SEAT_HOLDER.email: {"LibreOffice": 400, "PostgreSQL": 300, "Qgis": 300},
    COMMONER2.email: {"VLC": 500, "Qgis": 500},
    PUBLIC.email: {"GLPI": 600, "LibreOffice": 400},
    PRIVATE.email: {"PostgreSQL": 700, "Mozilla Firefox (Extended Support Release)": 300},
    SCIENCE.email: {"Qgis": 600, "PostgreSQL": 400},
}

# The SEPA examples' French IBAN (checksum-correct, fictional holder).
DEMO_PAYOUT_IBAN = "FR76 3000 6000 0112 3456 7890 189"
DEMO_PAYOUT_BIC = "AGRIFRPPXXX"


def is_demo_email(email: str) -> bool:
    return email.lower().endswith(f"@{DEMO_EMAIL_DOMAIN}")


def _demo_user(spec: DemoUser, **flags: bool) -> User:
    user = User.objects.filter(email=spec.email).first()
    if user is None:
        user = User.objects.create_user(
            spec.email, spec.password, display_name=f"Demo {spec.role.split(',')[0]}", **flags
        )
    EmailAddress.objects.get_or_create(
        user=user, email=spec.email, defaults={"verified": True, "primary": True}
    )
    return user


def _token(name: str) -> uuid.UUID:
    return uuid.uuid5(_TOKENS, name)


def _admitted(name: str) -> Project | None:
    return Project.objects.filter(
        source=project_services.SILL_SOURCE, name=name, status=ProjectStatus.ADMITTED
    ).first()


def demo_load() -> list[DemoUser]:
    """Load the demo. The services email their (fictional) users after each
    commit; nobody should receive those, so the demo sends no email."""
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        return _demo_load(now=timezone.now())


@transaction.atomic
def _demo_load(*, now: datetime) -> list[DemoUser]:
    project_services.sill_import()

    admin = _demo_user(ADMIN, is_staff=True, is_superuser=True)
    if not Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(admin, DEMO_TOTP_SECRET)
        RecoveryCodes.activate(admin)

    for project in Project.objects.filter(
        source=project_services.SILL_SOURCE, name__in=ADMITTED_SILL_NAMES
    ):
        project_services.project_admit(project=project, actor=admin, reference=DEMO_DECISION)
    demo_identifiers()

    maintainer = _demo_user(MAINTAINER)
    maintained = Project.objects.filter(name="Qgis").first()
    if maintained is not None:
        Maintainership.objects.get_or_create(
            project=maintained,
            user=maintainer,
            defaults={"role": MaintainerRole.OWNER, "is_public": True},
        )
        _payout_account(project=maintained, maintainer=maintainer)

    users = {spec.email: _demo_user(spec) for spec, _college, _number in DEMO_SEATS}
    _seats(users=users, admin=admin, now=now)

    contributor_user = _demo_user(CONTRIBUTOR)
    public_user = users[PUBLIC.email]
    for name, kind, visibility, owner in DEMO_CONTRIBUTORS:
        if owner == "public":
            continue
        Contributor.objects.get_or_create(
            name=f"{name} (fictional demo)",
            defaults={
                "kind": kind,
                "visibility": visibility,
                "is_demo": True,
                "user": contributor_user if owner == "contributor" else None,
            },
        )
    _contributions(user=contributor_user, admin=admin, now=now)
    _public_body(user=public_user, admin=admin, now=now)
    _ballots(admin=admin, users=users, now=now)
    # Last month's allocation, as the monthly task runs it on the 1st: project
    # balances, the pool and the released round's euros are there to see.
    run = allocation_month_run(period=previous_period(now), at=now)
    # Its report approved by both administrators, and its payout batch.
    admin2 = _demo_user(ADMIN2, is_staff=True, is_superuser=True)
    demo_administrator_totp(admin2, DEMO_TOTP_SECRET_2)
    demo_disbursement(
        run=run,
        admins=[
            (admin, ADMIN.password, DEMO_TOTP_SECRET),
            (admin2, ADMIN2.password, DEMO_TOTP_SECRET_2),
        ],
        maintainer=maintainer,
        password=MAINTAINER.password,
    )
    return list(DEMO_USERS)


def _last_month(now: datetime) -> datetime:
    """The 10th of last month at noon (Paris): when the demo's transfers arrived."""
    start, _end = period_bounds(previous_period(now))
    return start.replace(day=10, hour=12)


# --- Projects ---------------------------------------------------------------------


def _payout_account(*, project: Project, maintainer: User) -> None:
    """Qgis gets a payout account, left unverified for the administrator to verify."""
    if PayoutAccount.objects.filter(project=project).exists():
        return
    project_services.payout_account_save(
        project=project,
        actor=maintainer,
        password=MAINTAINER.password,
        holder_name="Qgis demo association (fictional demo)",
        iban=DEMO_PAYOUT_IBAN,
        bic=DEMO_PAYOUT_BIC,
        address="1 rue de l'Exemple, 75000 Paris, France (fictional demo)",
    )


# --- Contributions ----------------------------------------------------------------


def _pledge(
    *,
    user: User,
    name: str,
    frequency: PledgeFrequency,
    amount_cents: int,
    earmarks: list[contributor_services.EarmarkInput],
    organisation: Contributor | None = None,
    commitment: Commitment | None = None,
) -> tuple[Pledge, bool]:
    """A demo pledge paid by bank transfer (its request is issued at once);
    (pledge, created). The deterministic form token makes it once only."""
    token = _token(name)
    existing = Pledge.objects.filter(idempotency_token=token).first()
    if existing is not None:
        return existing, False
    pledge = fund_services.pledge_submit(
        user=user,
        organisation=organisation,
        visibility=Visibility.NAMED,
        frequency=frequency,
        amount_cents=amount_cents,
        payment_method=PaymentMethod.BANK_TRANSFER,
        earmarks=earmarks,
        idempotency_token=token,
        commitment=commitment,
    )
    return pledge, True


def _mark_paid(*, pledge: Pledge, admin: User, at: datetime) -> None:
    """The demo administrator saw the transfer on the bank account and books it."""
    request = PaymentRequest.objects.get(
        pledge=pledge, status=PaymentRequestStatus.AWAITING_PAYMENT
    )
    fund_services.payment_request_mark_paid(
        request=request, amount_cents=request.amount_cents, received_at=at, actor=admin
    )


def _contributions(*, user: User, admin: User, now: datetime) -> None:
    """The demo contributor: a monthly pledge earmarked to two admitted projects
    (its first month paid, the next month's request awaiting payment) and a
    one-time pledge, paid."""
    earmarked = [_admitted("LibreOffice"), _admitted("Qgis")]
    if any(project is None for project in earmarked):
        return
    monthly, created = _pledge(
        user=user,
        name="contributor-monthly",
        frequency=PledgeFrequency.MONTHLY,
        amount_cents=2500,
        earmarks=[
            contributor_services.EarmarkInput(project_id=project.pk, share_bp=bp)
            for project, bp in zip(earmarked, (2000, 1500), strict=True)
            if project is not None
        ],
    )
    if created:
        _mark_paid(pledge=monthly, admin=admin, at=_last_month(now))
        monthly.refresh_from_db()
        # The next month's request, issued ahead as the daily task does on its date.
        due = monthly.next_charge_date or now.date()
        fund_services.payment_request_issue(pledge=monthly, at=now)
        contributor_services.pledge_schedule_next_charge(pledge=monthly, charged_date=due)
    once, created = _pledge(
        user=user,
        name="contributor-once",
        frequency=PledgeFrequency.ONE_TIME,
        amount_cents=10_000,
        earmarks=[],
    )
    if created:
        _mark_paid(pledge=once, admin=admin, at=_last_month(now))


def _public_body(*, user: User, admin: User, now: datetime) -> None:
    """A fictional commune: a declared digital project and its 2 % commitment,
    partly paid by a bank transfer the administrator reconciled."""
    commune = Contributor.objects.filter(name=COMMUNE_NAME).order_by("id").first()
    if commune is None:
        commune = contributor_services.organisation_create(
            user=user,
            name=COMMUNE_NAME,
            organisation_kind=OrganisationKind.LOCAL_AUTHORITY,
            legal_name=COMMUNE_NAME,
            country="FR",
            billing_address="1 place de la Mairie, 99999 Belleville-sur-Code (fictional demo)",
            siren_siret="219990009",  # department 99 has no commune: never a real one
        )
        # No service sets the demo flag: only the demo creates fictional contributors.
        Contributor.objects.filter(pk=commune.pk).update(is_demo=True)
    if commune.organisation_kind not in PUBLIC_BODY_KINDS:
        return  # an older demo's commune, created before it was a public body
    year = timezone.localtime(now).year
    commitment = Commitment.objects.filter(
        contributor=commune, project_name=COMMITMENT_PROJECT, year=year
    ).first()
    if commitment is None:
        commitment = contributor_services.commitment_create(
            contributor=commune,
            project_name=COMMITMENT_PROJECT,
            year=year,
            budget_cents=25_000_000,  # 250 000 €, so 5 000 € committed
            actor=user,
        )
    pledge, created = _pledge(
        user=user,
        name=f"commune-commitment-{year}",
        frequency=PledgeFrequency.ONE_TIME,
        amount_cents=200_000,  # 2 000 € of the 5 000 €
        earmarks=[],
        organisation=commune,
        commitment=commitment,
    )
    if created:
        _mark_paid(pledge=pledge, admin=admin, at=_last_month(now))


# --- Governance ---------------------------------------------------------------------


def _seats(*, users: dict[str, User], admin: User, now: datetime) -> None:
    """Colleges (in force for a year already, so that the earlier round had
    them) and a mandate for each demo seat holder, started three months ago."""
    governance_services.college_defaults_ensure(at=now - timedelta(days=365))
    start = timezone.localdate(now) - timedelta(days=90)
    for spec, college, number in DEMO_SEATS:
        holder = users[spec.email]
        if Mandate.objects.filter(holder=holder).exists():
            continue
        seat = Seat.objects.select_related("college").get(college__code=college, number=number)
        if Mandate.objects.filter(seat=seat, end_date__gte=start).exists():
            continue  # someone else holds this seat already
        governance_services.mandate_create(
            seat=seat,
            holder=holder,
            start_date=start,
            end_date=start + timedelta(days=3 * 365),
            actor=admin,
        )


def _ballots(*, admin: User, users: dict[str, User], now: datetime) -> None:
    admitted = dict(
        Project.objects.filter(
            source=project_services.SILL_SOURCE, status=ProjectStatus.ADMITTED
        ).values_list("name", "pk")
    )
    if not Ballot.objects.filter(kind=BallotKind.ROUND, title=PAST_ROUND_TITLE).exists():
        try:
            with transaction.atomic():
                _past_round(admin=admin, users=users, admitted=admitted, now=now)
        except governance_services.GovernanceError:
            # An older demo database whose colleges or mandates start later.
            pass
    closes_at = now + timedelta(days=7)
    _open_ballot(
        kind=BallotKind.ROUND,
        title=OPEN_ROUND_TITLE,
        description=(
            "Share the common pool between the admitted projects: place up to 1000 points. "
            "Fictional demo ballot."
        ),
        admin=admin,
        now=now,
        closes_at=closes_at,
    )
    inkscape = Project.objects.filter(
        source=project_services.SILL_SOURCE, name=MOTION_PROJECT, status=ProjectStatus.PROPOSED
    ).first()
    if inkscape is not None:
        _open_ballot(
            kind=BallotKind.MOTION,
            title=OPEN_MOTION_TITLE,
            description="If adopted, Inkscape can receive funds. Fictional demo motion.",
            admin=admin,
            now=now,
            closes_at=closes_at,
            effect_project=inkscape,
        )


def _open_ballot(
    *,
    kind: BallotKind,
    title: str,
    description: str,
    admin: User,
    now: datetime,
    closes_at: datetime,
    effect_project: Project | None = None,
) -> None:
    """A ballot open now; a new one only when the previous demo one has closed."""
    if Ballot.objects.filter(
        kind=kind, title=title, status=BallotStatus.OPEN, closes_at__gt=now
    ).exists():
        return
    ballot = governance_services.ballot_create(
        kind=kind,
        title=title,
        description=description,
        closes_at=closes_at,
        actor=admin,
        effect=MotionEffect.ADMIT_PROJECT if effect_project is not None else MotionEffect.NONE,
        effect_project=effect_project,
    )
    governance_services.ballot_open(ballot=ballot, actor=admin, at=now)


def _past_round(
    *, admin: User, users: dict[str, User], admitted: dict[str, int], now: datetime
) -> None:
    """An earlier round: opened 40 days ago, voted by every seat, closed a week
    later and released the day after, so its shares are in force."""
    opened = now - timedelta(days=40)
    closes_at = now - timedelta(days=33)
    ballot = governance_services.ballot_create(
        kind=BallotKind.ROUND,
        title=PAST_ROUND_TITLE,
        description="The shares of the common pool in force. Fictional demo ballot.",
        closes_at=closes_at,
        actor=admin,
    )
    ballot = governance_services.ballot_open(ballot=ballot, actor=admin, at=opened)
    by_id = {user.pk: email for email, user in users.items()}
    for offset, entry in enumerate(ballot.electorate):
        email = by_id.get(entry["holder"])
        if email is None:
            continue
        points = {
            admitted[name]: value
            for name, value in PAST_ROUND_POINTS[email].items()
            if name in admitted
        }
        governance_services.vote_cast(
            ballot=ballot,
            voter=users[email],
            at=opened + timedelta(days=1, hours=offset),
            points=points,
        )
    ballot = governance_services.ballot_close(ballot=ballot, at=closes_at, actor=admin)
    governance_services.ballot_release(ballot=ballot, actor=admin, at=closes_at + timedelta(days=1))
