"""`{{ object|label:"field" }}`: a choice field's label, as `get_FIELD_display`
gives it, without its cost (Django hashes every lazy label of the field's
choices on each call: a translation lookup per choice, per row of a table)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.db import models

register = template.Library()


@lru_cache(maxsize=256)
def _labels(model: type[models.Model], field: str) -> dict[Any, Any]:
    """The field's value -> label map (labels stay lazy: translated when shown)."""
    return dict(model._meta.get_field(field).flatchoices)  # type: ignore[union-attr]  # noqa: SLF001 -- Django's public API


@register.filter
def label(instance: models.Model, field: str) -> Any:
    """``project|label:"status"`` -> "Admitted" ("Admis" in French); a value
    without a choice as it is, as `get_FIELD_display` does."""
    value = getattr(instance, field)
    return _labels(type(instance), field).get(value, value)
