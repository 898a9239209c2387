"""Money in one place: the `Money` value, the one way to show an amount
(`format_money`, through babel) and the one way to read an amount a person
typed (`parse_amount_cents`). Integer cents throughout, never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, format_decimal
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from funds.errors import FundsError

CENTS_PER_UNIT = 100

# The Django languages we ship, as the babel locale that writes their numbers.
# English is written as in Ireland, a euro country: "€1,234.56".
BABEL_LOCALES = {"fr": "fr_FR", "en": "en_IE"}

_CURRENCY_RE = re.compile(r"[A-Z]{3}")
# ASCII digits only: `\d` would read Arabic-Indic or full-width digits as 30 or 12.
_AMOUNT_RE = re.compile(r"[0-9]{1,15}(?:[.,][0-9]{1,2})?")
_PERCENT_RE = re.compile(r"[0-9]{1,3}(?:[.,][0-9]{1,2})?")
_SPACES = ("\u00a0", "\u202f", " ")


class MoneyError(FundsError, ValueError):
    """An amount that is not money, or two amounts in different currencies."""


@dataclass(frozen=True, slots=True)
class Money:
    """Whole cents (minor units) of one currency. Adding, subtracting or
    ordering two amounts of different currencies raises `MoneyError`; two such
    amounts are never equal."""

    cents: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.cents, bool) or not isinstance(self.cents, int):
            raise MoneyError(
                f"Amounts are whole numbers of cents, not {type(self.cents).__name__}."
            )
        if not isinstance(self.currency, str) or not _CURRENCY_RE.fullmatch(self.currency):
            raise MoneyError(f"A currency is three upper-case letters, not {self.currency!r}.")

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise MoneyError(f"Cannot mix {self.currency} and {other.currency}.")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.cents + other.cents, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.cents - other.cents, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.cents, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.cents < other.cents

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.cents <= other.cents

    def __gt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.cents > other.cents

    def __ge__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.cents >= other.cents


def positive_money(cents: int, currency: str = "EUR") -> Money:
    """`Money`, refusing zero and negative amounts too (a payment, a refund)."""
    money = Money(cents, currency)
    if money.cents <= 0:
        raise MoneyError(f"An amount must be positive, not {money.cents}.")
    return money


# --- Showing an amount --------------------------------------------------------------


def babel_locale(language: str | None = None) -> str:
    """The babel locale for a Django language (the active one by default):
    ``"fr"`` -> ``"fr_FR"``, ``"en"`` -> ``"en_IE"``; other codes as babel spells them."""
    code = language or translation.get_language() or settings.LANGUAGE_CODE
    return BABEL_LOCALES.get(code) or translation.to_locale(code)


def _babel_money(cents: int, currency: str, locale: str) -> str:
    amount = Decimal(cents).scaleb(-2)  # exact: no float on the way
    return format_currency(amount, currency, locale=locale)


@dataclass(frozen=True, slots=True)
class _MoneyShape:
    """How babel writes amounts of one currency in one locale, read once from its
    own output: what comes before and after the digits (positive and negative),
    the grouping separator (groups of three) and the decimal separator."""

    prefix: str
    suffix: str
    negative_prefix: str
    negative_suffix: str
    group: str
    decimal: str

    def write(self, cents: int) -> str:
        whole, part = divmod(abs(cents), CENTS_PER_UNIT)
        digits = f"{whole:,}".replace(",", self.group) + f"{self.decimal}{part:02d}"
        if cents < 0:
            return f"{self.negative_prefix}{digits}{self.negative_suffix}"
        return f"{self.prefix}{digits}{self.suffix}"


_SHAPE_SAMPLE = 123456789  # babel writes it "1 234 567,89 €", "€1,234,567.89"…
_SHAPE_CHECKS = (0, 5, 99, 100, 12345, 99999999, 123456789012345, -1, -100000)


def _split_sample(text: str) -> tuple[str, str, str, str] | None:
    """(prefix, group, decimal, suffix) of the sample as babel wrote it."""
    first, last = text.find("1"), text.rfind("9")
    body = text[first : last + 1]
    if first < 0 or len(body) != len("1,234,567.89"):
        return None
    group, decimal = body[1], body[-3]
    if body != f"1{group}234{group}567{decimal}89":
        return None
    return text[:first], group, decimal, text[last + 1 :]


@lru_cache(maxsize=256)
def _money_shape(currency: str, locale: str) -> _MoneyShape | None:
    """The shape of `currency` in `locale`, if writing by it gives exactly what
    babel gives (two decimals, groups of three); None otherwise (babel then writes
    each amount itself)."""
    positive = _split_sample(_babel_money(_SHAPE_SAMPLE, currency, locale))
    negative = _split_sample(_babel_money(-_SHAPE_SAMPLE, currency, locale))
    if positive is None or negative is None or positive[1:3] != negative[1:3]:
        return None
    shape = _MoneyShape(
        prefix=positive[0],
        suffix=positive[3],
        negative_prefix=negative[0],
        negative_suffix=negative[3],
        group=positive[1],
        decimal=positive[2],
    )
    # Checked against babel on a few amounts, in case a locale writes some differently.
    checked = all(shape.write(c) == _babel_money(c, currency, locale) for c in _SHAPE_CHECKS)
    return shape if checked else None


def format_money(cents: int, currency: str = "EUR", locale: str | None = None) -> str:
    """The one way to show an amount: ``123456`` -> ``"1 234,56 €"`` in French,
    ``"€1,234.56"`` in English (babel's spaces: narrow no-break for grouping).
    `locale` is a Django language or a babel locale; the active language by default.
    Babel's pattern is read once per currency and locale (`_money_shape`): a page
    of a few hundred amounts does not parse it a few hundred times."""
    money = Money(cents, currency)
    code = babel_locale(locale)
    shape = _money_shape(money.currency, code)
    if shape is None:
        return _babel_money(money.cents, money.currency, code)
    return shape.write(money.cents)


# Between a number and "%": French puts a no-break space; English as the site always wrote it.
_PERCENT_SPACE = {"fr_FR": "\u00a0"}


def format_percent_bp(bp: int, *, decimals: int | None = None, locale: str | None = None) -> str:
    """A share in basis points as a percentage: ``1250`` -> ``"12,5 %"`` in French
    (no-break space), ``"12.5 %"`` in English; with `decimals`, that many always
    (``1020`` -> ``"10,20 %"``), else no trailing zeros (``3000`` -> ``"30 %"``)."""
    pattern = "#,##0." + ("0" * decimals if decimals is not None else "##")
    code = babel_locale(locale)
    number = format_decimal(Decimal(int(bp)).scaleb(-2), format=pattern, locale=code)
    return f"{number}{_PERCENT_SPACE.get(code, ' ')}%"


def format_number(value: int, locale: str | None = None) -> str:
    """A whole number grouped as the language writes it: ``5100`` -> ``"5 100"`` in
    French (narrow no-break space), ``"5,100"`` in English."""
    return format_decimal(int(value), locale=babel_locale(locale))


# --- Reading what a person typed ----------------------------------------------------


def _hundredths(text: str) -> int:
    """``"12,5"`` -> ``1250``, for text the patterns above accepted."""
    whole, _separator, part = text.replace(",", ".").partition(".")
    return int(whole) * CENTS_PER_UNIT + int(part.ljust(2, "0"))


def parse_amount_cents(text: str) -> int:
    """Euros as typed ("50", "50,00", "50.5", "1 000", "1 000,50 €") to cents.
    Refuses anything else, "1.000" (a thousand or one?) and non-ASCII digits."""
    cleaned = text.strip()
    for space in _SPACES:
        cleaned = cleaned.replace(space, "")
    cleaned = cleaned.removesuffix("€").removeprefix("€")
    if cleaned.startswith("-"):
        raise MoneyError(_("The amount cannot be negative."))
    if not _AMOUNT_RE.fullmatch(cleaned):
        raise MoneyError(_("Enter an amount in euros, such as 50 or 50,00."))
    return _hundredths(cleaned)


def parse_percent_bp(text: str) -> int:
    """A share in percent with up to two decimals ("30", "12,5") to basis points."""
    cleaned = text.strip().removesuffix("%").strip()
    if cleaned.startswith("-"):
        raise MoneyError(_("A share cannot be negative."))
    if not _PERCENT_RE.fullmatch(cleaned):
        raise MoneyError(_("Enter a share in percent, such as 30 or 12,5."))
    return _hundredths(cleaned)


def euros_input(cents: int) -> str:
    """Cents as a person types euros, for a form's initial value: ``5000`` -> ``"50,00"``,
    thousands grouped by a narrow no-break space (``"1 000 000,00"``), which
    `parse_amount_cents` reads back."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), CENTS_PER_UNIT)
    return f"{sign}{whole:,}".replace(",", "\u202f") + f",{part:02d}"


def bp_input(bp: int) -> str:
    """Basis points as a person types a percentage: ``1250`` -> ``"12,5"``."""
    whole, part = divmod(bp, 100)
    return str(whole) if part == 0 else f"{whole},{part:02d}".rstrip("0")
