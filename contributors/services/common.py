"""What the contributors services share: the domain error of their input and
the models' own field checks."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst

from contributors.errors import ContributorsError

MAX_EARMARKS = 20
INVITATION_VALID_DAYS = 14
COMMITMENT_BP = 200  # 2 % of a public body's digital project budget


class ContributionError(ContributorsError, ValueError):
    """Input that cannot be accepted; the message is for the user, in their language."""


def _check_fields(instance: models.Model, *, fields: list[str]) -> None:
    """The model's own limits (lengths, characters, country codes) on `fields`,
    raised as one `ContributionError` naming each problem."""
    exclude = [f.name for f in instance._meta.fields if f.name not in fields]  # noqa: SLF001
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        labels = {f.name: f.verbose_name for f in instance._meta.fields}  # noqa: SLF001
        problems = [
            f"{capfirst(labels.get(name, name))}: {message}"
            for name, messages in error.message_dict.items()
            for message in messages
        ]
        raise ContributionError(" ".join(problems)) from None
