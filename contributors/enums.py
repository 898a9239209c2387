from django.db import models
from django.utils.translation import gettext_lazy as _


class ContributorKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class Visibility(models.TextChoices):
    """How a contributor appears publicly."""

    NAMED = "named", _("By name")
    ANONYMOUS = "anonymous", _("Anonymously")
    SECRET = "secret", _("Not at all")
