"""Money as one type, shown by babel, read by one strict parser."""

from __future__ import annotations

import base64
import re
import uuid
import zlib
from decimal import Decimal
from typing import Any

import pytest
from babel.numbers import format_currency
from django.test import Client
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from contributors.models import User
from funds import documents
from funds.enums import PaymentEventSource
from funds.models import PaymentRequest
from funds.money import (
    Money,
    MoneyError,
    _money_shape,
    _split_sample,
    babel_locale,
    bp_input,
    euros_input,
    format_money,
    format_number,
    format_percent_bp,
    parse_amount_cents,
    parse_percent_bp,
    positive_money,
)
from funds.services import payment_request_issue, payment_succeed
from funds.templatetags.money import euros
from tests.factories.contributors import PledgeFactory
from tests.factories.funds import PaymentFactory

NNBSP = "\u202f"  # babel's French grouping: a narrow no-break space
NBSP = "\xa0"  # and a no-break space before the symbol

# --- Money --------------------------------------------------------------------------


@pytest.mark.unit
def test_money_adds_subtracts_negates_and_compares() -> None:
    five, three = Money(500, "EUR"), Money(300, "EUR")
    assert five + three == Money(800, "EUR")
    assert five - three == Money(200, "EUR")
    assert three - five == Money(-200, "EUR")
    assert -five == Money(-500, "EUR")
    assert (three < five, three <= five, five > three, five >= three) == (True,) * 4
    assert (five < three, five <= three, three > five, three >= five) == (False,) * 4
    assert five <= Money(500, "EUR")
    assert five >= Money(500, "EUR")
    assert five != three
    assert Money(500, "EUR") != Money(500, "USD")
    assert {Money(1, "EUR"), Money(1, "EUR")} == {Money(1, "EUR")}


@pytest.mark.unit
@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_money_of_two_currencies_do_not_mix(operation: Any) -> None:
    with pytest.raises(MoneyError, match=r"^Cannot mix EUR and USD\.$"):
        operation(Money(100, "EUR"), Money(100, "USD"))


@pytest.mark.unit
@pytest.mark.parametrize(
    ("cents", "currency", "message"),
    [
        (1.5, "EUR", "Amounts are whole numbers of cents, not float."),
        (True, "EUR", "Amounts are whole numbers of cents, not bool."),
        ("100", "EUR", "Amounts are whole numbers of cents, not str."),
        (100, "eur", "A currency is three upper-case letters, not 'eur'."),
        (100, "EURO", "A currency is three upper-case letters, not 'EURO'."),
        (100, "", "A currency is three upper-case letters, not ''."),
        (100, None, "A currency is three upper-case letters, not None."),
    ],
)
def test_money_refuses_what_is_not_money(cents: Any, currency: Any, message: str) -> None:
    with pytest.raises(MoneyError) as error:
        Money(cents, currency)
    assert str(error.value) == message


@pytest.mark.unit
def test_money_is_frozen_and_has_no_float() -> None:
    money = Money(100, "EUR")
    with pytest.raises(AttributeError):
        money.cents = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        float(money)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        money / 2  # type: ignore[operator]


@pytest.mark.unit
def test_positive_money() -> None:
    assert positive_money(1) == Money(1, "EUR")
    assert positive_money(7, "USD") == Money(7, "USD")
    for cents in (0, -1):
        with pytest.raises(MoneyError, match=rf"^An amount must be positive, not {cents}\.$"):
            positive_money(cents)


# --- Showing an amount ----------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    ("cents", "french", "english"),
    [
        (0, f"0,00{NBSP}€", "€0.00"),
        (5, f"0,05{NBSP}€", "€0.05"),
        (100, f"1,00{NBSP}€", "€1.00"),
        (123456, f"1{NNBSP}234,56{NBSP}€", "€1,234.56"),
        (-123456, f"-1{NNBSP}234,56{NBSP}€", "-€1,234.56"),
        (10**12, f"10{NNBSP}000{NNBSP}000{NNBSP}000,00{NBSP}€", "€10,000,000,000.00"),
    ],
)
def test_format_money_in_each_language(cents: int, french: str, english: str) -> None:
    with translation.override("fr"):
        assert format_money(cents) == french
        assert euros(cents) == french
        assert format_money(cents, locale="en") == english
    with translation.override("en"):
        assert format_money(cents) == english
        assert euros(cents) == english
        assert format_money(cents, "EUR", "fr") == french


@pytest.mark.unit
def test_format_money_other_currencies_and_locales() -> None:
    assert format_money(123456, "USD", "en") == "US$1,234.56"
    assert format_money(123456, "EUR", "de") == f"1.234,56{NBSP}€"
    assert format_money(123456, "EUR", "de_CH") == "EUR\xa01\u2019234.56"
    assert euros(None) == ""
    with pytest.raises(MoneyError):
        format_money(1.5)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        format_money(100, "euro")


@pytest.mark.unit
@settings(max_examples=300, deadline=None)
@given(
    cents=st.integers(min_value=-(10**15), max_value=10**15),
    currency=st.sampled_from(["EUR", "USD", "CHF", "JPY", "BHD"]),
    locale=st.sampled_from(["fr", "en", "de", "de_CH", "en_US", "hi_IN", "ar"]),
)
def test_format_money_writes_what_babel_writes(cents: int, currency: str, locale: str) -> None:
    """The pattern read once per currency and locale gives babel's own text,
    and babel still writes what that shape cannot (JPY's no decimals, India's
    groups of two)."""
    code = babel_locale(locale)
    expected = format_currency(Decimal(cents).scaleb(-2), currency, locale=code)
    assert format_money(cents, currency, locale) == expected


@pytest.mark.unit
def test_format_money_reads_babels_pattern_once() -> None:
    assert _money_shape("EUR", "fr_FR") is not None
    assert _money_shape("JPY", "en_IE") is None  # no decimals: babel writes it
    assert format_money(123456, "JPY", "en") == "JP¥1,235"
    assert _money_shape("EUR", "hi_IN") is None  # 12,34,567.89: babel writes it
    assert _split_sample("no digits") is None
    assert _split_sample("1,234.567,89 €") is None


@pytest.mark.unit
def test_babel_locale_follows_the_active_language() -> None:
    assert babel_locale("fr") == "fr_FR"
    assert babel_locale("en") == "en_IE"
    assert babel_locale("pt-br") == "pt_BR"
    with translation.override("fr"):
        assert babel_locale() == "fr_FR"
    with translation.override(None):
        assert babel_locale() == "fr_FR"  # LANGUAGE_CODE


# --- Reading what a person typed ------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("50", 5000),
        ("50,00", 5000),
        ("50.5", 5050),
        ("1 000", 100_000),
        (" 1 000 ", 100_000),
        ("1 000,50 €", 100_050),
        (f"1{NNBSP}000,50{NBSP}€", 100_050),
        ("€12.34", 1234),
        ("12€", 1200),
        ("0,01", 1),
        ("0", 0),
        ("999999999999999,99", 99_999_999_999_999_999),
    ],
)
def test_amounts_parse_to_cents(text: str, cents: int) -> None:
    assert parse_amount_cents(text) == cents


@pytest.mark.unit
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.000", "Enter an amount in euros, such as 50 or 50,00."),
        ("1,234", "Enter an amount in euros, such as 50 or 50,00."),
        ("\u0663\u0660", "Enter an amount in euros, such as 50 or 50,00."),  # Arabic-Indic 30
        ("\uff11\uff12", "Enter an amount in euros, such as 50 or 50,00."),  # full-width 12
        ("-5", "The amount cannot be negative."),
        ("1e3", "Enter an amount in euros, such as 50 or 50,00."),
        ("", "Enter an amount in euros, such as 50 or 50,00."),
        ("abc", "Enter an amount in euros, such as 50 or 50,00."),
        ("50.", "Enter an amount in euros, such as 50 or 50,00."),
        (",50", "Enter an amount in euros, such as 50 or 50,00."),
        ("9" * 16, "Enter an amount in euros, such as 50 or 50,00."),
        ("50 $", "Enter an amount in euros, such as 50 or 50,00."),
    ],
)
def test_bad_amounts_are_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(MoneyError) as error:
        parse_amount_cents(text)
    assert str(error.value) == message


@pytest.mark.unit
def test_parser_messages_are_translated() -> None:
    with translation.override("fr"), pytest.raises(MoneyError) as error:
        parse_amount_cents("1.000")
    assert str(error.value) == "Saisissez un montant en euros, par exemple 50 ou 50,00."


@pytest.mark.unit
def test_percent_to_basis_points() -> None:
    assert parse_percent_bp("30") == 3000
    assert parse_percent_bp("12,5") == 1250
    assert parse_percent_bp("12.25 %") == 1225
    assert parse_percent_bp("0.01 %") == 1
    for text, message in [
        ("-3", "A share cannot be negative."),
        ("1.234", "Enter a share in percent, such as 30 or 12,5."),
        ("\u0663", "Enter a share in percent, such as 30 or 12,5."),
        ("1000", "Enter a share in percent, such as 30 or 12,5."),
    ]:
        with pytest.raises(MoneyError) as error:
            parse_percent_bp(text)
        assert str(error.value) == message


@pytest.mark.unit
@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (5000, "50,00"),
        (5, "0,05"),
        (123456, "1\u202f234,56"),
        (100_000_000, "1\u202f000\u202f000,00"),
        (-150, "-1,50"),
    ],
)
def test_euros_input_reads_back(cents: int, text: str) -> None:
    assert euros_input(cents) == text
    if cents >= 0:
        assert parse_amount_cents(text) == cents


@pytest.mark.unit
@pytest.mark.parametrize(
    ("bp", "text"), [(3000, "30"), (1250, "12,5"), (1225, "12,25"), (1, "0,01")]
)
def test_bp_input_reads_back(bp: int, text: str) -> None:
    assert bp_input(bp) == text
    assert parse_percent_bp(text) == bp


@pytest.mark.unit
@pytest.mark.parametrize(
    ("language", "bp", "decimals", "text"),
    [
        ("fr", 1020, 2, "10,20\u00a0%"),
        ("en", 1020, 2, "10.20 %"),
        ("fr", 5100, None, "51\u00a0%"),
        ("en", 1250, None, "12.5 %"),
        ("fr", 1, None, "0,01\u00a0%"),
    ],
)
def test_percent_in_the_readers_format(
    language: str, bp: int, decimals: int | None, text: str
) -> None:
    """Issue 14 item 13: "10.20 %" reads "10,20 %" in French, a no-break space before %."""
    assert format_percent_bp(bp, decimals=decimals, locale=language) == text


@pytest.mark.unit
def test_numbers_grouped_in_the_readers_format() -> None:
    assert format_number(5100, "fr") == "5\u202f100"
    assert format_number(1_000_000, "en") == "1,000,000"


# --- Pages and PDFs -------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db
@pytest.mark.usefixtures("online_payments")
def test_the_same_amount_on_an_english_and_a_french_page(contributor: Client) -> None:
    """The pledge form's minimum (a fund setting, 1 € by default) in each language."""
    data = {
        "pay_as": "me",
        "visibility": "named",
        "frequency": "monthly",
        "amount": "0,50",
        "payment_method": "card",
    }
    english = contributor.post("/en/contribute/pledge/", {**data, "token": str(uuid.uuid4())})
    assert english.status_code == 200
    assert "The minimum pledge is €1.00." in english.text
    french = contributor.post("/contribute/pledge/", {**data, "token": str(uuid.uuid4())})
    assert french.status_code == 200
    assert f"L\u2019engagement minimum est de 1,00{NBSP}€." in french.text


@pytest.mark.integration
@pytest.mark.django_db
def test_my_contributions_in_each_language(contributor: Client, contributor_user: User) -> None:
    PledgeFactory.create(contributor=contributor_user.contributors.get(), amount_cents=123_456)
    english = contributor.get("/en/contribute/mine/").text
    assert '<td class="align-right">€1,234.56</td>' in english
    french = contributor.get("/contribute/mine/").text
    assert f'<td class="align-right">1{NNBSP}234,56{NBSP}€</td>' in french


def _pdf_text(pdf: bytes) -> list[str]:
    """The strings a reportlab PDF draws: its content streams (ASCII85, then
    Flate) inflated, each literal of a `Tj` unescaped and decoded (WinAnsi)."""
    strings = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.DOTALL):
        content = zlib.decompress(base64.a85decode(stream.strip().removesuffix(b"~>")))
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", content):
            raw = re.sub(
                rb"\\([0-7]{3}|.)",
                lambda m: bytes([int(m[1], 8)]) if len(m[1]) == 3 else m[1],
                literal,
            )
            strings.append(raw.decode("cp1252"))
    return strings


@pytest.mark.integration
@pytest.mark.django_db
def test_pdfs_show_amounts_in_their_language(contributor: Client, contributor_user: User) -> None:
    pledge = PledgeFactory.create(
        contributor=contributor_user.contributors.get(), amount_cents=123_456
    )
    receipt = payment_succeed(
        payment=PaymentFactory.create(pledge=pledge, amount_cents=123_456),
        gross_cents=123_456,
        processor_fee_cents=1_234,
        received_at=pledge.created_at,
        source=PaymentEventSource.SYSTEM,
    )
    english = _pdf_text(documents.receipt_pdf(receipt, "en"))
    amounts = english[english.index("Gross amount") :][:6]
    assert amounts == [
        "Gross amount",
        "€1,234.56",
        "Processor fee",
        "€12.34",
        "Net amount",
        "€1,222.22",
    ]
    response = contributor.get(f"/en/funds/receipts/{receipt.pk}/attestation-fr.pdf")
    french = _pdf_text(response.content)
    # Helvetica has no narrow no-break space: a space, not a ZapfDingbats square.
    assert french[french.index("Montant brut") + 1] == "1 234,56 €"
    assert b"ZapfDingbats" not in response.content

    transfer = PledgeFactory.create(
        contributor=pledge.contributor, amount_cents=123_456, payment_method="bank_transfer"
    )
    request: PaymentRequest = payment_request_issue(pledge=transfer)
    english = _pdf_text(contributor.get(f"/en/funds/requests/{request.pk}/pdf/").content)
    assert english[english.index("Amount") + 1] == "€1,234.56"
    french = _pdf_text(contributor.get(f"/funds/requests/{request.pk}/pdf/").content)
    assert french[french.index("Montant") + 1] == "1 234,56 €"
