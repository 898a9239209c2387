"""Countries, by their ISO 3166-1 alpha-2 code (the list pycountry ships)."""

from __future__ import annotations

import pycountry
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

COUNTRY_CODES = frozenset(country.alpha_2 for country in pycountry.countries)


def normalise_country(value: str) -> str:
    """The code as stored: without spaces around it, in capitals ("fr" → "FR")."""
    return value.strip().upper()


def validate_country(value: object) -> None:
    """Refuses anything but an assigned ISO 3166-1 alpha-2 code (no "ZZ", no "XX")."""
    if not isinstance(value, str) or value not in COUNTRY_CODES:
        raise ValidationError(
            _("Enter the country as its two-letter ISO code, such as FR or BE."),
            code="country",
        )
