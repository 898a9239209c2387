"""IBAN and BIC checks (schwifty): checksum, country, and the BIC of the IBAN's bank."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from projects.errors import ProjectsError


@dataclass(frozen=True)
class BankDetails:
    iban: str  # compact, upper case
    bic: str  # compact, upper case, 8 or 11 characters


class BankDetailsError(ProjectsError, ValueError):
    """Bad bank details; `errors` maps the field ("iban", "bic") to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def bank_details_validate(*, iban: str, bic: str) -> BankDetails:
    errors: dict[str, str] = {}
    parsed_iban: IBAN | None = None
    parsed_bic: BIC | None = None
    try:
        parsed_iban = IBAN(iban)
    except SchwiftyException as exc:
        errors["iban"] = _("This IBAN is not valid (%(reason)s).") % {"reason": _iban_reason(exc)}
    try:
        parsed_bic = BIC(bic)
    except SchwiftyException:
        errors["bic"] = _("This BIC is not valid: it has 8 or 11 letters and digits.")
    if parsed_iban is not None and parsed_bic is not None:
        known = BIC.candidates_from_bank_code(parsed_iban.country_code, parsed_iban.bank_code)
        if known and not any(str(c)[:8] == str(parsed_bic)[:8] for c in known):
            errors["bic"] = _("This BIC is not the one of the IBAN's bank (%(expected)s).") % {
                "expected": ", ".join(sorted({str(c) for c in known}))
            }
        elif not known and parsed_bic.country_code != parsed_iban.country_code:
            errors["bic"] = _("The BIC's country (%(bic)s) is not the IBAN's (%(iban)s).") % {
                "bic": parsed_bic.country_code,
                "iban": parsed_iban.country_code,
            }
    if errors or parsed_iban is None or parsed_bic is None:
        raise BankDetailsError(errors)
    return BankDetails(iban=str(parsed_iban.compact), bic=str(parsed_bic.compact))


def _iban_reason(exc: SchwiftyException) -> str:
    name = type(exc).__name__
    if "Checksum" in name:
        return _("the check digits do not match")
    if "CountryCode" in name:
        return _("unknown country code")
    if "Length" in name:
        return _("wrong length for its country")
    return _("wrong format")
