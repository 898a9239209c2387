"""The one place where our amounts (integer minor units, `amount_cents`) become
Stripe's and back. Integers only: never a float on the way."""

from __future__ import annotations

from funds.errors import FundsError
from funds.money import Money, MoneyError

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


class AmountError(FundsError, ValueError):
    """An amount that cannot be converted exactly."""


def _money(value: int, currency: str) -> Money:
    try:
        return Money(value, currency.upper())
    except MoneyError as error:
        raise AmountError(str(error)) from None


def to_stripe(*, amount_cents: int, currency: str) -> tuple[int, str]:
    """Our cents as Stripe's `amount` and lower-case `currency`."""
    money = _money(amount_cents, currency)
    cents, code = money.cents, money.currency
    if code in ZERO_DECIMAL_CURRENCIES:
        units, rest = divmod(cents, CENTS_PER_UNIT)
        if rest:
            raise AmountError(f"{code} has no cents: {cents} cannot be sent exactly.")
        return units, code.lower()
    return cents, code.lower()


def from_stripe(*, amount: int, currency: str) -> int:
    """Stripe's `amount` in `currency` as our cents."""
    value = _money(amount, currency).cents
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return value * CENTS_PER_UNIT
    return value
