"""governance: enums."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CollegeCode(models.TextChoices):
    COMMONERS = "commoners", _("Commoners")
    PUBLIC = "public", _("Public actors")
    PRIVATE = "private", _("Private actors")
    SCIENTIFIC = "scientific", _("Scientific committee")


# Statutory defaults (governance.md): weight in basis points, seats.
DEFAULT_COLLEGES: tuple[tuple[str, int, int], ...] = (
    (CollegeCode.COMMONERS, 5100, 7),
    (CollegeCode.PUBLIC, 1700, 3),
    (CollegeCode.PRIVATE, 1700, 3),
    (CollegeCode.SCIENTIFIC, 1500, 2),
)
STATUTES_REFERENCE = "statutes"
TOTAL_WEIGHT_BP = 10_000
ROUND_POINTS = 1000


class InterestKind(models.TextChoices):
    MAINTAINS = "maintains", _("Maintains the project")
    EMPLOYS = "employs", _("Employs people working on the project")
    PAID_BY = "paid_by", _("Is paid by the project")
    OTHER = "other", _("Other interest")


class BallotKind(models.TextChoices):
    MOTION = "motion", _("Motion")
    ROUND = "round", _("Pool allocation round")


class Majority(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")
    QUALIFIED = "qualified", _("Qualified")


class BallotStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    RELEASED = "released", _("Results released")


class MotionEffect(models.TextChoices):
    NONE = "none", _("No effect on the platform")
    ADMIT_PROJECT = "admit_project", _("Admit a project")
    SUSPEND_PROJECT = "suspend_project", _("Suspend a project")
    FUND_SETTING = "fund_setting", _("Change a fund setting")
    COLLEGE_WEIGHTS = "college_weights", _("Change the college weights")
    ADOPT_MINUTES = "adopt_minutes", _("Adopt minutes of a meeting")


# Effects that need a qualified majority.
QUALIFIED_EFFECTS = frozenset({MotionEffect.FUND_SETTING, MotionEffect.COLLEGE_WEIGHTS})


class Choice(models.TextChoices):
    FOR = "for", _("For")
    AGAINST = "against", _("Against")
    ABSTAIN = "abstain", _("Abstain")


class BallotEventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    VOTE = "vote", _("Vote cast")
    CHANGE = "change", _("Vote changed")
    PROXY = "proxy", _("Proxy given")
    RECUSAL = "recusal", _("Recusal")
    CLOSED = "closed", _("Closed")
    RELEASED = "released", _("Results released")
