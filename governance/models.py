"""governance: colleges, seats and mandates, interests, ballots, votes, meetings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.enums import (
    BallotEventKind,
    BallotKind,
    BallotStatus,
    Choice,
    CollegeCode,
    InterestKind,
    Majority,
    MotionEffect,
)
from librery.validators import limit_text, refuse_invisible_controls

# Limits of the free-text fields (TextFields have none in the database).
MAX_AGENDA = 20_000
MAX_MINUTES = 200_000
MAX_BALLOT_DESCRIPTION = 20_000


class College(models.Model):
    """A college of the paritarian body. Its weight lives in `CollegeWeight`
    (history kept, each value set by a decision)."""

    code = models.CharField(_("code"), max_length=20, choices=CollegeCode.choices, unique=True)
    name = models.CharField(_("name"), max_length=100, validators=[refuse_invisible_controls])
    seat_count = models.PositiveSmallIntegerField(_("number of seats"))

    class Meta:
        verbose_name = _("college")
        verbose_name_plural = _("colleges")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_commoners(self) -> bool:
        return self.code == CollegeCode.COMMONERS


class CollegeWeight(models.Model):
    """The statutory weight of a college from `effective_at` on, with the
    decision that set it. Append-only."""

    college = models.ForeignKey(
        College, verbose_name=_("college"), on_delete=models.PROTECT, related_name="weights"
    )
    weight_bp = models.PositiveIntegerField(_("weight (basis points)"))
    effective_at = models.DateTimeField(_("in force from"))
    decision_reference = models.CharField(
        _("decision"), max_length=200, validators=[refuse_invisible_controls]
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("college weight")
        verbose_name_plural = _("college weights")
        ordering = ["-effective_at", "college_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["college", "effective_at"], name="college_weight_one_per_instant"
            ),
            models.CheckConstraint(
                condition=models.Q(weight_bp__lte=10_000), name="college_weight_at_most_10000"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.college}: {self.weight_bp} bp from {self.effective_at:%Y-%m-%d} ({self.pk})"


class Seat(models.Model):
    college = models.ForeignKey(
        College, verbose_name=_("college"), on_delete=models.PROTECT, related_name="seats"
    )
    number = models.PositiveSmallIntegerField(_("number"))

    class Meta:
        verbose_name = _("seat")
        verbose_name_plural = _("seats")
        ordering = ["college_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["college", "number"], name="seat_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.college} #{self.number}"


class MandateQuerySet(models.QuerySet["Mandate"]):
    def in_force(self, on: Any) -> MandateQuerySet:
        return self.filter(start_date__lte=on, end_date__gte=on)


class Mandate(models.Model):
    """A seat given to a person from `start_date` to `end_date` (inclusive),
    with an optional substitute who votes only when the holder is absent."""

    seat = models.ForeignKey(
        Seat, verbose_name=_("seat"), on_delete=models.PROTECT, related_name="mandates"
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        related_name="mandates",
    )
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("substitute"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="substitute_mandates",
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = MandateQuerySet.as_manager()

    class Meta:
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        ordering = ["seat_id", "-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="mandate_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(substitute=models.F("holder")),
                name="mandate_substitute_not_holder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder} — {self.seat} ({self.start_date} to {self.end_date})"


class DeclaredInterest(models.Model):
    """An interest a seat holder declares in a project (maintainership recorded
    in the projects app counts on its own)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="declared_interests",
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="declared_interests",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=InterestKind.choices)
    note = models.CharField(
        _("note"), max_length=300, blank=True, validators=[refuse_invisible_controls]
    )
    declared_at = models.DateTimeField(_("declared at"), auto_now_add=True)

    class Meta:
        verbose_name = _("declared interest")
        verbose_name_plural = _("declared interests")
        ordering = ["user_id", "project_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "project", "kind"], name="declared_interest_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.project} ({self.kind})"


class Meeting(models.Model):
    held_on_date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200, validators=[refuse_invisible_controls])
    agenda = models.TextField(_("agenda"), blank=True, validators=[limit_text(MAX_AGENDA)])
    minutes = models.TextField(_("minutes"), blank=True, validators=[limit_text(MAX_MINUTES)])
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("attendance"), blank=True, related_name="+"
    )
    minutes_adopted_reference = models.CharField(
        _("minutes adopted by decision"), max_length=50, blank=True
    )

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-held_on_date", "-id"]

    def __str__(self) -> str:
        return f"{self.held_on_date} {self.title}"


class Ballot(models.Model):
    """A motion or a pool allocation round, with its frozen electorate and
    settings, its result, the published bundle and the decision it made."""

    kind = models.CharField(_("kind"), max_length=10, choices=BallotKind.choices)
    title = models.CharField(_("title"), max_length=200, validators=[refuse_invisible_controls])
    description = models.TextField(
        _("description"), blank=True, validators=[limit_text(MAX_BALLOT_DESCRIPTION)]
    )
    majority = models.CharField(
        _("majority"), max_length=10, choices=Majority.choices, default=Majority.ORDINARY
    )
    effect = models.CharField(
        _("effect"), max_length=20, choices=MotionEffect.choices, default=MotionEffect.NONE
    )
    effect_project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project concerned"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    effect_setting_key = models.CharField(_("setting"), max_length=50, blank=True)
    effect_value = models.BigIntegerField(_("new value"), null=True, blank=True)
    effect_weights = models.JSONField(_("new weights"), default=dict, blank=True)
    effect_effective_at = models.DateTimeField(_("in force from"), null=True, blank=True)
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ballots",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=BallotStatus.choices, default=BallotStatus.DRAFT
    )
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"))
    electorate = models.JSONField(_("electorate"), default=list, blank=True)
    electorate_fingerprint = models.CharField(
        _("electorate fingerprint"), max_length=64, blank=True
    )
    frozen_settings = models.JSONField(_("settings"), default=dict, blank=True)
    recusals = models.JSONField(_("recusals"), default=dict, blank=True)
    settings_frozen_at = models.DateTimeField(_("settings frozen at"), null=True, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    bundle = models.JSONField(_("published bundle"), default=dict, blank=True)
    bundle_hash = models.CharField(_("bundle hash"), max_length=64, blank=True)
    adopted = models.BooleanField(_("adopted"), null=True, blank=True)
    decision_number = models.CharField(
        _("decision number"), max_length=20, unique=True, null=True, blank=True
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        ordering = ["-closes_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=BallotStatus.values), name="ballot_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.pk})"


class DecisionCounter(models.Model):
    """The last decision number given in a month (``2026-03``), taken under a
    row lock: a number is never given twice, even after a ballot is deleted."""

    period = models.CharField(_("month"), max_length=7, unique=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("decision counter")
        verbose_name_plural = _("decision counters")

    def __str__(self) -> str:
        return f"{self.period}: {self.last_number}"


class Vote(models.Model):
    """The vote in force for one seat of a ballot (the last one cast counts;
    the event log keeps every version)."""

    ballot = models.ForeignKey(
        Ballot, verbose_name=_("ballot"), on_delete=models.PROTECT, related_name="votes"
    )
    seat = models.ForeignKey(
        Seat, verbose_name=_("seat"), on_delete=models.PROTECT, related_name="votes"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cast by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    choice = models.CharField(_("choice"), max_length=10, choices=Choice.choices, blank=True)
    points = models.JSONField(_("points"), default=dict, blank=True)
    receipt = models.CharField(_("receipt"), max_length=64)
    # The receipt's secret salt: it keeps the vote from being guessed from its
    # receipt until release, when the bundle publishes it so anyone can recompute
    # the receipt (empty for votes cast before salts were kept).
    salt = models.CharField(_("receipt salt"), max_length=32, blank=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    cast_at = models.DateTimeField(_("cast at"))

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["ballot_id", "seat_id"]
        constraints = [
            models.UniqueConstraint(fields=["ballot", "seat"], name="vote_one_per_seat"),
        ]

    def __str__(self) -> str:
        return f"{self.ballot_id}/{self.seat_id} v{self.version}"


class Proxy(models.Model):
    """A holder's proxy to another holder of the same college, for one ballot."""

    ballot = models.ForeignKey(
        Ballot, verbose_name=_("ballot"), on_delete=models.PROTECT, related_name="proxies"
    )
    giver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("given by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("carried by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    seat = models.ForeignKey(Seat, verbose_name=_("seat"), on_delete=models.PROTECT)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("proxy")
        verbose_name_plural = _("proxies")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "giver"], name="proxy_one_per_giver"),
            models.UniqueConstraint(fields=["ballot", "holder"], name="proxy_one_per_carrier"),
        ]

    def __str__(self) -> str:
        return f"{self.giver} → {self.holder} ({self.ballot_id})"


class BallotEvent(models.Model):
    """Append-only log of a ballot: opening, votes, changes, proxies, recusals,
    closing, release."""

    ballot = models.ForeignKey(
        Ballot, verbose_name=_("ballot"), on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=BallotEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("ballot event")
        verbose_name_plural = _("ballot events")
        ordering = ["ballot_id", "id"]

    def __str__(self) -> str:
        return f"{self.ballot_id} {self.kind} {self.at:%Y-%m-%d %H:%M:%S} ({self.pk})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Ballot events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Ballot events are append-only.")
