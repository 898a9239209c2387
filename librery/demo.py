"""Demo data for the embedded default: the real SILL 2020 catalogue as
proposed projects (a few admitted), fictional contributors clearly labelled as
such, and one demo user for each role. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.utils import timezone

from contributors.enums import ContributorKind, Visibility
from contributors.models import Contributor, User
from governance import services as governance_services
from governance.enums import CollegeCode
from governance.models import Mandate, Seat
from projects import services as project_services
from projects.enums import MaintainerRole
from projects.models import Maintainership, Project

DEMO_EMAIL_DOMAIN = "demo.librery.test"
# A fixed secret so that `manage.py demo_totp` can print the administrator's code.
DEMO_TOTP_SECRET = "LIBRERYDEMOADMINTOTPSECRETXXXXXX"  # noqa: S105 -- public, demo only
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


@dataclass(frozen=True)
class DemoUser:
    role: str
    email: str
    password: str


DEMO_USERS = (
    DemoUser("administrator", f"admin@{DEMO_EMAIL_DOMAIN}", "demo-admin-librery"),
    DemoUser("contributor", f"contributor@{DEMO_EMAIL_DOMAIN}", "demo-contributor-librery"),
    DemoUser("maintainer", f"maintainer@{DEMO_EMAIL_DOMAIN}", "demo-maintainer-librery"),
    DemoUser("seat holder", f"seat@{DEMO_EMAIL_DOMAIN}", "demo-seat-librery"),
)

# Invented names only: no real organisation is ever shown giving money it did not give.
DEMO_CONTRIBUTORS = (
    ("Camille Exemple", ContributorKind.PERSON, Visibility.NAMED, "contributor"),
    ("Commune de Belleville-sur-Code", ContributorKind.ORGANISATION, Visibility.NAMED, None),
    ("Exemplum Logiciels SAS", ContributorKind.ORGANISATION, Visibility.NAMED, None),
    ("Anonymous demo person", ContributorKind.PERSON, Visibility.ANONYMOUS, None),
    ("Secret demo person", ContributorKind.PERSON, Visibility.SECRET, None),
)


def is_demo_email(email: str) -> bool:
    return email.lower().endswith(f"@{DEMO_EMAIL_DOMAIN}")


def _demo_user(spec: DemoUser, **flags: bool) -> User:
    user = User.objects.filter(email=spec.email).first()
    if user is None:
        user = User.objects.create_user(
            spec.email, spec.password, display_name=f"Demo {spec.role}", **flags
        )
    EmailAddress.objects.get_or_create(
        user=user, email=spec.email, defaults={"verified": True, "primary": True}
    )
    return user


@transaction.atomic
def demo_load() -> list[DemoUser]:
    project_services.sill_import()
    admin_spec, contributor_spec, maintainer_spec, seat_spec = DEMO_USERS

    admin = _demo_user(admin_spec, is_staff=True, is_superuser=True)
    if not Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(admin, DEMO_TOTP_SECRET)
        RecoveryCodes.activate(admin)

    for project in Project.objects.filter(
        source=project_services.SILL_SOURCE, name__in=ADMITTED_SILL_NAMES
    ):
        project_services.project_admit(project=project, actor=admin, reference=DEMO_DECISION)

    maintainer = _demo_user(maintainer_spec)
    maintained = Project.objects.filter(name="Qgis").first()
    if maintained is not None:
        Maintainership.objects.get_or_create(
            project=maintained,
            user=maintainer,
            defaults={"role": MaintainerRole.OWNER, "is_public": True},
        )

    seat_holder = _demo_user(seat_spec)
    governance_services.college_defaults_ensure(at=timezone.now())
    if not Mandate.objects.filter(holder=seat_holder).exists():
        today = timezone.localdate()
        governance_services.mandate_create(
            seat=Seat.objects.get(college__code=CollegeCode.COMMONERS, number=1),
            holder=seat_holder,
            start_date=today,
            end_date=today + timedelta(days=3 * 365),
            actor=admin,
        )

    contributor_user = _demo_user(contributor_spec)
    for name, kind, visibility, owner in DEMO_CONTRIBUTORS:
        Contributor.objects.get_or_create(
            name=f"{name} (fictional demo)",
            defaults={
                "kind": kind,
                "visibility": visibility,
                "is_demo": True,
                "user": contributor_user if owner == "contributor" else None,
            },
        )
    return list(DEMO_USERS)
