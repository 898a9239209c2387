from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contributors.countries import validate_country
from contributors.enums import (
    INVITATION_STATUSES,
    ONLINE_PAYMENT_METHODS,
    PAID_PLEDGE_STATUSES,
    PAYABLE_STATUSES,
    PLEDGE_TRANSITIONS,
    ContributorKind,
    InvitationStatus,
    MembershipRole,
    OrganisationKind,
    PaymentMethod,
    PledgeChangeKind,
    PledgeFrequency,
    PledgeStatus,
    Visibility,
)
from librery.validators import limit_text, refuse_invisible_controls

BILLING_ADDRESS_MAX_LENGTH = 500


class UserManager(DjangoUserManager["User"]):
    """Users are known by their email address; there is no username."""

    def _create_user_with_email(
        self, email: str, password: str | None, **extra_fields: Any
    ) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user_with_email(email, password, **extra_fields)

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user_with_email(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. What they give is a `Contributor`."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    # The name shown publicly; empty: "Anonymous contributor". Never taken from the email.
    display_name = models.CharField(
        _("display name"),
        max_length=150,
        blank=True,
        validators=[refuse_invisible_controls],
    )
    # The language of the emails sent to this person: the one they signed up
    # in, then the one they last read the site in; empty: the site's default.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True, default=""
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name or self.email


class Contributor(models.Model):
    """Someone who gives: a person or an organisation (the contributions issue
    adds the organisation's legal details and its members)."""

    kind = models.CharField(_("kind"), max_length=20, choices=ContributorKind.choices)
    # A person's name follows their display name; empty: shown as anonymous.
    name = models.CharField(
        _("name"), max_length=200, blank=True, validators=[refuse_invisible_controls]
    )
    visibility = models.CharField(
        _("public appearance"),
        max_length=20,
        choices=Visibility.choices,
        default=Visibility.NAMED,
    )
    user = models.ForeignKey(
        User,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contributors",
    )
    is_demo = models.BooleanField(
        _("fictional demo contributor"),
        default=False,
        help_text=_("Invented for the demonstration; never a real organisation."),
    )
    # Organisations only.
    organisation_kind = models.CharField(
        _("kind of organisation"), max_length=30, choices=OrganisationKind.choices, blank=True
    )
    legal_name = models.CharField(
        _("legal name"), max_length=200, blank=True, validators=[refuse_invisible_controls]
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        help_text=_("ISO code"),
        validators=[validate_country],
    )
    billing_address = models.TextField(
        _("billing address"),
        blank=True,
        validators=[limit_text(BILLING_ADDRESS_MAX_LENGTH), refuse_invisible_controls],
    )
    siren_siret = models.CharField(
        _("SIREN or SIRET"),
        max_length=14,
        blank=True,
        help_text=_("French organisations: validated by its checksum."),
    )
    vat_number = models.CharField(
        _("VAT number"), max_length=20, blank=True, validators=[refuse_invisible_controls]
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contributor")
        verbose_name_plural = _("contributors")
        ordering = ["name", "id"]
        indexes = [
            # The transparency page's list, a page at a time: those who appear, by name.
            models.Index(
                fields=["name", "id"],
                condition=~models.Q(visibility=Visibility.SECRET),
                name="contributor_public_by_name",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ContributorKind.values), name="contributor_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(visibility__in=Visibility.values),
                name="contributor_visibility_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(kind=ContributorKind.ORGANISATION)
                | models.Q(organisation_kind=""),
                name="contributor_organisation_kind_only_for_organisations",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (#{self.pk})"

    @property
    def public_name(self) -> str:
        """The name to show: "Anonymous contributor" until a name is chosen."""
        return self.name or gettext("Anonymous contributor")


class ContributorCount(models.Model):
    """How many contributors there are by public appearance, kept by database
    triggers on the contributor table (migration 0010,
    `librery.migration_operations.keep_counts`): the transparency page reads three
    rows instead of counting every contributor. Read through
    `contributors.selectors.contributor_counts`."""

    visibility = models.CharField(max_length=20, unique=True)
    total = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("contributor count")
        verbose_name_plural = _("contributor counts")

    def __str__(self) -> str:
        return f"{self.visibility}: {self.total}"


class Membership(models.Model):
    """A user who acts for an organisation."""

    contributor = models.ForeignKey(
        Contributor,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=MembershipRole.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["contributor_id", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contributor", "user"], name="membership_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.contributor_id} (#{self.pk})"


class MembershipInvitation(models.Model):
    """An owner invites an address to act for the organisation; the person joins
    when they accept it, signed in with that address verified. Only the hash of
    the token is stored; only the invitation's services change `status`."""

    contributor = models.ForeignKey(
        Contributor,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    email = models.EmailField(_("email address"), max_length=254)
    role = models.CharField(_("role"), max_length=20, choices=MembershipRole.choices)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, verbose_name=_("invited by"), on_delete=models.PROTECT, related_name="+"
    )
    accepted_by = models.ForeignKey(
        User,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=InvitationStatus.choices,
        default=InvitationStatus.PENDING,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("membership invitation")
        verbose_name_plural = _("membership invitations")
        ordering = ["contributor_id", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=INVITATION_STATUSES),
                name="invitation_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=MembershipRole.values), name="invitation_role_valid"
            ),
            models.UniqueConstraint(
                fields=["contributor", "email"],
                condition=models.Q(status="pending"),
                name="invitation_one_pending_per_address",
            ),
        ]

    def __str__(self) -> str:
        return f"invitation #{self.pk} to {self.contributor_id} ({self.status})"


class Commitment(models.Model):
    """A public body's digital project, of which it commits 2 % to the fund."""

    contributor = models.ForeignKey(
        Contributor,
        verbose_name=_("public body"),
        on_delete=models.PROTECT,
        related_name="commitments",
    )
    project_name = models.CharField(
        _("digital project"), max_length=200, validators=[refuse_invisible_controls]
    )
    year = models.PositiveIntegerField(_("year"))
    budget_cents = models.BigIntegerField(_("budget (cents)"))
    commitment_cents = models.BigIntegerField(_("commitment (cents)"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("2 % commitment")
        verbose_name_plural = _("2 % commitments")
        ordering = ["-year", "project_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(budget_cents__gt=0), name="commitment_budget_gt_0"
            ),
            models.CheckConstraint(
                condition=models.Q(commitment_cents__gte=0), name="commitment_amount_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_name} {self.year} (#{self.pk})"


class Pledge(models.Model):
    """The intent to give, once or every month. Only `pledge_transition` changes
    `status`; amounts and earmarks change through `pledge_amend` (future payments only)."""

    contributor = models.ForeignKey(
        Contributor, verbose_name=_("contributor"), on_delete=models.PROTECT, related_name="pledges"
    )
    created_by = models.ForeignKey(
        User,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    frequency = models.CharField(_("frequency"), max_length=20, choices=PledgeFrequency.choices)
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    payment_method = models.CharField(
        _("payment method"), max_length=20, choices=PaymentMethod.choices
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PledgeStatus.choices,
        default=PledgeStatus.AWAITING_PAYMENT,
    )
    commitment = models.ForeignKey(
        Commitment,
        verbose_name=_("fulfils the commitment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pledges",
    )
    idempotency_token = models.UUIDField(_("form token"), unique=True)
    # Monthly pledges charged off-session: the saved Stripe customer and method,
    # the next month to charge and the failed attempts in a row.
    stripe_customer_id = models.CharField(_("Stripe customer"), max_length=255, blank=True)
    stripe_payment_method_id = models.CharField(
        _("Stripe payment method"), max_length=255, blank=True
    )
    next_charge_date = models.DateField(_("next charge"), null=True, blank=True)
    failed_attempts = models.PositiveIntegerField(_("failed attempts in a row"), default=0)
    # The SBOM whose proposal the earmarks last followed ("Earmark from an SBOM").
    sbom = models.ForeignKey(
        "contributors.Sbom",
        verbose_name=_("earmarks proposed by the SBOM"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pledges",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="pledge_amount_gt_0"
            ),
            models.CheckConstraint(
                condition=models.Q(frequency__in=PledgeFrequency.values),
                name="pledge_frequency_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PledgeStatus.values), name="pledge_status_valid"
            ),
        ]
        indexes = [
            # The daily charge run's selection: active monthly pledges by next
            # charge date, never a scan of every pledge ever made.
            models.Index(
                fields=["next_charge_date"],
                name="pledge_monthly_due",
                condition=models.Q(frequency=PledgeFrequency.MONTHLY, status=PledgeStatus.ACTIVE),
            ),
            # A project page's public contributors: each of its earmarks' pledge, if
            # paid, gives its contributor from this index alone, not from a scan of
            # every pledge (`contributors.selectors.project_public_contributors`).
            models.Index(
                fields=["id", "contributor"],
                name="pledge_paid_contributor",
                condition=models.Q(status__in=PAID_PLEDGE_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"pledge #{self.pk} {self.frequency} {self.amount_cents} {self.currency}"

    @property
    def is_payable_online(self) -> bool:
        """Waiting for a payment the contributor can make now, by card or SEPA debit."""
        return self.status in PAYABLE_STATUSES and self.payment_method in ONLINE_PAYMENT_METHODS

    @property
    def is_open_monthly(self) -> bool:
        """A monthly pledge not cancelled: it can still be paused, resumed or changed."""
        return self.frequency == PledgeFrequency.MONTHLY and self.status != PledgeStatus.CANCELLED

    @property
    def can_be_paused(self) -> bool:
        return self.frequency == PledgeFrequency.MONTHLY and self.status == PledgeStatus.ACTIVE

    @property
    def can_be_resumed(self) -> bool:
        return self.frequency == PledgeFrequency.MONTHLY and self.status in {
            PledgeStatus.PAUSED,
            PledgeStatus.SUSPENDED,
        }

    @property
    def can_be_cancelled(self) -> bool:
        return PledgeStatus.CANCELLED in PLEDGE_TRANSITIONS[self.status]


class Earmark(models.Model):
    """A share of each payment of a pledge given to a project, in basis points."""

    pledge = models.ForeignKey(
        Pledge, verbose_name=_("pledge"), on_delete=models.CASCADE, related_name="earmarks"
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="earmarks",
        db_index=False,  # `earmark_by_project` starts with it
    )
    share_bp = models.PositiveIntegerField(_("share (basis points)"))

    class Meta:
        verbose_name = _("earmark")
        verbose_name_plural = _("earmarks")
        ordering = ["pledge_id", "-share_bp", "project_id"]
        constraints = [
            models.UniqueConstraint(fields=["pledge", "project"], name="earmark_once_per_project"),
            models.CheckConstraint(
                condition=models.Q(share_bp__gte=1, share_bp__lte=10_000),
                name="earmark_share_in_range",
            ),
        ]
        indexes = [
            # A project's earmarks with their pledges, read from the index alone
            # (a project page's public contributors, the project's pledges).
            models.Index(fields=["project", "pledge"], name="earmark_by_project"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.share_bp} bp of pledge {self.pledge_id}"


class PledgeChange(models.Model):
    """Every change of a pledge, with who made it and the before/after values."""

    pledge = models.ForeignKey(
        Pledge, verbose_name=_("pledge"), on_delete=models.CASCADE, related_name="changes"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PledgeChangeKind.choices)
    actor = models.ForeignKey(
        User,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("pledge change")
        verbose_name_plural = _("pledge changes")
        ordering = ["pledge_id", "at", "id"]

    def __str__(self) -> str:
        return f"pledge #{self.pledge_id} {self.kind} at {self.at:%Y-%m-%d %H:%M} ({self.pk})"


class Sbom(models.Model):
    """A Software Bill of Materials a contributor uploaded, kept privately (its
    contributor, the organisation's members and administrators see it) with its
    sha256; `components` holds what the platform read of it (`contributors.sbom`)."""

    contributor = models.ForeignKey(
        Contributor, verbose_name=_("contributor"), on_delete=models.CASCADE, related_name="sboms"
    )
    uploaded_by = models.ForeignKey(
        User,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    filename = models.CharField(
        _("file name"), max_length=200, blank=True, validators=[refuse_invisible_controls]
    )
    format = models.CharField(_("format"), max_length=20)
    spec_version = models.CharField(_("version of the format"), max_length=20)
    application = models.CharField(_("application"), max_length=300, blank=True)
    sha256 = models.CharField(_("sha256"), max_length=64)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    content = models.BinaryField(_("file"))
    components = models.JSONField(_("components"), default=list)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("SBOM")
        verbose_name_plural = _("SBOMs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contributor", "sha256"], name="sbom_once_per_file"),
        ]

    def __str__(self) -> str:
        return f"SBOM #{self.pk} {self.filename} ({self.sha256[:12]})"


class SbomProject(models.Model):
    """A catalogue project found in an SBOM when it was uploaded: what the
    aggregates count (anonymously: how many contributors depend on a project)."""

    sbom = models.ForeignKey(
        Sbom, verbose_name=_("SBOM"), on_delete=models.CASCADE, related_name="project_matches"
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="sbom_matches",
    )
    components = models.PositiveIntegerField(_("components"))
    direct = models.BooleanField(_("a direct dependency"))

    class Meta:
        verbose_name = _("project found in an SBOM")
        verbose_name_plural = _("projects found in SBOMs")
        ordering = ["sbom_id", "project_id"]
        constraints = [
            models.UniqueConstraint(fields=["sbom", "project"], name="sbom_project_once"),
        ]

    def __str__(self) -> str:
        return f"SBOM #{self.sbom_id}: project {self.project_id}"
