from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Collate
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from librery.validators import limit_text, refuse_invisible_controls
from projects.enums import (
    FETCH_FINAL_STATUSES,
    FUNDABLE_STATUSES,
    ClaimMethod,
    ClaimStatus,
    FetchStatus,
    IdentifierKind,
    IdentifierSource,
    MaintainerRole,
    PayoutAccountStatus,
    ProjectStatus,
)

# Limits of the free-text fields (TextFields have none in the database).
MAX_PROJECT_DESCRIPTION = 20_000
MAX_ENTITY_DESCRIPTION = 2_000  # the manifest's own rule (bytes; characters here)
MAX_STORED_MANIFEST = 320_000  # fundingjson.MAX_MANIFEST_BYTES: a manifest as published
MAX_ACCOUNT_ADDRESS = 500
MAX_FETCH_ERROR = 2_000
MAX_CLAIM_EVIDENCE = 4_000  # what a claimant tells the administrator who reviews it
MAX_CLAIM_LINKS = 5
MAX_CLAIM_REASON = 2_000


class ProjectQuerySet(models.QuerySet["Project"]):
    def fundable(self) -> ProjectQuerySet:
        return self.filter(status__in=FUNDABLE_STATUSES)


class FundingEntity(models.Model):
    """Who publishes a funding.json manifest (its `entity`), and the manifest itself."""

    manifest_url = models.URLField(_("manifest URL"), max_length=500, blank=True)
    kind = models.CharField(_("type"), max_length=20)
    role = models.CharField(_("role"), max_length=20)
    name = models.CharField(_("name"), max_length=250, validators=[refuse_invisible_controls])
    email = models.EmailField(_("e-mail"), max_length=250)
    description = models.TextField(
        _("description"), blank=True, validators=[limit_text(MAX_ENTITY_DESCRIPTION)]
    )
    webpage_url = models.URLField(_("web page"), max_length=250, blank=True)
    manifest = models.TextField(
        _("manifest (as published)"), validators=[limit_text(MAX_STORED_MANIFEST)]
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("funding.json entity")
        verbose_name_plural = _("funding.json entities")
        constraints = [
            models.UniqueConstraint(
                fields=["manifest_url"],
                condition=~models.Q(manifest_url=""),
                name="funding_entity_unique_manifest_url",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.manifest_url or _('uploaded')})"


class Project(models.Model):
    """An open-source project in the catalogue of commons."""

    name = models.CharField(_("name"), max_length=200, validators=[refuse_invisible_controls])
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    # `summary`/`description` hold the French text (the SILL's language); the
    # English ones sit beside them, and pages fall back to the other language.
    summary = models.CharField(
        _("short description (French)"),
        max_length=500,
        blank=True,
        validators=[refuse_invisible_controls],
    )
    summary_en = models.CharField(
        _("short description (English)"),
        max_length=500,
        blank=True,
        validators=[refuse_invisible_controls],
    )
    description = models.TextField(
        _("description (French)"), blank=True, validators=[limit_text(MAX_PROJECT_DESCRIPTION)]
    )
    description_en = models.TextField(
        _("description (English)"), blank=True, validators=[limit_text(MAX_PROJECT_DESCRIPTION)]
    )
    logo = models.ImageField(_("logo"), upload_to="projects/logos/", blank=True)
    repository_url = models.URLField(_("repository"), max_length=250, blank=True)
    website_url = models.URLField(_("website"), max_length=250, blank=True)
    licences = models.JSONField(_("licences (SPDX)"), default=list, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.PROPOSED
    )
    source = models.CharField(
        _("source"), max_length=50, blank=True, help_text=_("Where the entry was imported from.")
    )
    source_ref = models.CharField(_("reference in the source"), max_length=100, blank=True)
    entity = models.ForeignKey(
        FundingEntity,
        verbose_name=_("funding.json entity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
    )
    manifest_guid = models.CharField(_("guid in the manifest"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The catalogue's full-text search (PostgreSQL): name, summaries and descriptions,
    # kept by `projects.services.project_search_refresh` whenever a service writes them.
    search_vector = SearchVectorField(null=True, editable=False)
    # The same service's copy of the name and both summaries in capitals, one text
    # searched for a part of a word ("carto") through a trigram index (PostgreSQL;
    # NULL on SQLite, which adds a nullable column without rebuilding the table).
    search_text = models.TextField(null=True, editable=False)  # noqa: DJ001 -- see above

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["name", "id"]
        indexes = [
            GinIndex(fields=["search_vector"], name="project_search_vector_idx"),
            # Names found despite a typo ("nextclud"): PostgreSQL's trigrams.
            GinIndex(fields=["name"], name="project_name_trigram_idx", opclasses=["gin_trgm_ops"]),
            GinIndex(
                fields=["search_text"], name="project_search_text_idx", opclasses=["gin_trgm_ops"]
            ),
            # The catalogue's order (`projects.selectors._by_name`, PostgreSQL's ICU
            # collation): its first page reads 24 rows, not every project sorted.
            models.Index(Collate("name", "und-x-icu"), "name", "id", name="project_by_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ProjectStatus.values), name="project_status_valid"
            ),
            models.UniqueConstraint(
                fields=["source", "source_ref"],
                condition=~models.Q(source=""),
                name="project_unique_source_ref",
            ),
            models.UniqueConstraint(
                fields=["entity", "manifest_guid"],
                condition=models.Q(entity__isnull=False),
                name="project_unique_manifest_guid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_fundable(self) -> bool:
        return self.status in FUNDABLE_STATUSES

    def _localized(self, french: str, english: str) -> str:
        if translation.get_language() == "en":
            return english or french
        return french or english

    @property
    def localized_summary(self) -> str:
        return self._localized(self.summary, self.summary_en)

    @property
    def localized_description(self) -> str:
        return self._localized(self.description, self.description_en)


class ProjectCount(models.Model):
    """How many projects there are by status and source, kept by database triggers
    on the project table (migration 0011, `librery.migration_operations.keep_counts`):
    the home and transparency pages read these few rows instead of counting every
    project. Read through `projects.selectors.project_counts`."""

    status = models.CharField(max_length=20)
    source = models.CharField(max_length=50)
    total = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("project count")
        verbose_name_plural = _("project counts")
        constraints = [
            models.UniqueConstraint(fields=["status", "source"], name="project_count_once"),
        ]

    def __str__(self) -> str:
        return f"{self.status} {self.source}: {self.total}"


class ProjectUsage(models.Model):
    """A public body or organisation that declares using a project."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="usages"
    )
    organisation = models.CharField(
        _("organisation"), max_length=250, validators=[refuse_invisible_controls]
    )
    is_public_body = models.BooleanField(_("public body"), default=False)
    source = models.CharField(_("source"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("declared use")
        verbose_name_plural = _("declared uses")
        ordering = ["organisation", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "organisation"], name="usage_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} uses {self.project}"


class Maintainership(models.Model):
    """A user who maintains a project; governance reads interests from here."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="maintainerships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="maintainerships",
    )
    role = models.CharField(
        _("role"), max_length=20, choices=MaintainerRole.choices, default=MaintainerRole.MAINTAINER
    )
    is_public = models.BooleanField(_("shown publicly"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("maintainership")
        verbose_name_plural = _("maintainerships")
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="maintainership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.project} ({self.role})"


class PayoutAccount(models.Model):
    """Where a project's money is paid; an administrator verifies it before any payout."""

    project = models.OneToOneField(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="payout_account",
    )
    holder_name = models.CharField(
        _("account holder"), max_length=200, validators=[refuse_invisible_controls]
    )
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11)
    address = models.TextField(
        _("holder's address"),
        validators=[limit_text(MAX_ACCOUNT_ADDRESS), refuse_invisible_controls],
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PayoutAccountStatus.choices,
        default=PayoutAccountStatus.UNVERIFIED,
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payout account")
        verbose_name_plural = _("payout accounts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=PayoutAccountStatus.values),
                name="payout_account_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=PayoutAccountStatus.VERIFIED)
                | models.Q(verified_at__isnull=False),
                name="payout_account_verified_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} — {self.masked_iban}"

    @property
    def masked_iban(self) -> str:
        return mask_iban(self.iban)

    @property
    def is_verified(self) -> bool:
        return self.status == PayoutAccountStatus.VERIFIED


_IBAN_SHOWN_HEAD = 4
_IBAN_SHOWN_TAIL = 3


def mask_iban(iban: str) -> str:
    """``FR76 •••• •••• •••• •••• •••• 189``: country and check digits, then the last three."""
    compact = "".join(iban.split()).upper()
    shown = _IBAN_SHOWN_HEAD + _IBAN_SHOWN_TAIL
    if len(compact) <= shown:
        return "•" * len(compact)
    hidden = len(compact) - shown
    groups = " ".join("••••" for _ in range((hidden + 3) // 4))
    return f"{compact[:_IBAN_SHOWN_HEAD]} {groups} {compact[-_IBAN_SHOWN_TAIL:]}"


class ProjectClaim(models.Model):
    """A person's claim to maintain a project, proven by publishing `token` in the
    project's funding.json manifest (or at its wellKnown URLs), or in the file
    `.well-known/funding-manifest-urls` of its website or repository; or accepted
    by an administrator who reviewed the evidence the claimant gave."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="claims"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="project_claims",
    )
    token = models.CharField(_("token"), max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.OPEN
    )
    method = models.CharField(
        _("proven by"), max_length=20, choices=ClaimMethod.choices, blank=True
    )
    evidence = models.TextField(
        _("evidence"),
        blank=True,
        validators=[limit_text(MAX_CLAIM_EVIDENCE), refuse_invisible_controls],
    )
    evidence_links = models.JSONField(_("evidence links"), default=list, blank=True)
    review_requested_at = models.DateTimeField(_("review asked at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_reason = models.TextField(
        _("reason of the review"), blank=True, validators=[limit_text(MAX_CLAIM_REASON)]
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("project claim")
        verbose_name_plural = _("project claims")
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="project_claim_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=ClaimStatus.values), name="project_claim_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=ClaimStatus.VERIFIED)
                | models.Q(verified_at__isnull=False),
                name="project_claim_verified_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} claims {self.project}"


class FundingManifestFetch(models.Model):
    """A fetch of a funding.json manifest that a page started, run by a task: an
    import (no claim) or a claim's verification; its page shows the status."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    url = models.URLField(_("address"), max_length=500)
    claim = models.ForeignKey(
        ProjectClaim,
        verbose_name=_("claim"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="fetches",
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=FetchStatus.choices, default=FetchStatus.PENDING
    )
    error = models.TextField(_("error"), blank=True, validators=[limit_text(MAX_FETCH_ERROR)])
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("manifest fetch")
        verbose_name_plural = _("manifest fetches")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=FetchStatus.values),
                name="manifest_fetch_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.url} ({self.status})"

    @property
    def is_over(self) -> bool:
        return self.status in FETCH_FINAL_STATUSES


class ProjectIdentifier(models.Model):
    """A package URL, purl prefix or repository by which a Software Bill of
    Materials names the project, as its normalised key (`projects.identifiers`)."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="identifiers"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=IdentifierKind.choices)
    value = models.CharField(_("key"), max_length=500)
    source = models.CharField(_("source"), max_length=20, choices=IdentifierSource.choices)

    class Meta:
        verbose_name = _("project identifier")
        verbose_name_plural = _("project identifiers")
        ordering = ["project_id", "kind", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind", "value", "source"], name="project_identifier_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=IdentifierKind.values),
                name="project_identifier_kind_valid",
            ),
        ]
        indexes = [models.Index(fields=["value", "kind"], name="project_identifier_value")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.kind} {self.value} ({self.source})"
