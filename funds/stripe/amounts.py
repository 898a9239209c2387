"""The one place where our amounts (integer minor units, `amount_cents`) become
Stripe's and back. Integers only: never a float on the way."""

from __future__ import annotations

# Currencies Stripe counts in whole units (no cents), from Stripe's list.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
CENTS_PER_UNIT = 100


class AmountError(ValueError):
    """An amount that cannot be converted exactly."""


def _check_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AmountError(f"Amounts are whole numbers, not {type(value).__name__}.")
    return value


def to_stripe(*, amount_cents: int, currency: str) -> tuple[int, str]:
    """Our cents as Stripe's `amount` and lower-case `currency`."""
    cents = _check_int(amount_cents)
    code = currency.upper()
    if code in ZERO_DECIMAL_CURRENCIES:
        units, rest = divmod(cents, CENTS_PER_UNIT)
        if rest:
            raise AmountError(f"{code} has no cents: {cents} cannot be sent exactly.")
        return units, code.lower()
    return cents, code.lower()


def from_stripe(*, amount: int, currency: str) -> int:
    """Stripe's `amount` in `currency` as our cents."""
    value = _check_int(amount)
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return value * CENTS_PER_UNIT
    return value
