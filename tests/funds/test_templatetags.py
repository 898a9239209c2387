"""The money template filters: cents and basis points as readers write them."""

from __future__ import annotations

import pytest
from django.utils import translation

from funds.templatetags.money import euros, grouped, percent_bp, setting_name, setting_value

pytestmark = [pytest.mark.unit]


@pytest.mark.parametrize(
    ("language", "bp", "text"),
    [
        ("en", None, ""),
        ("en", 3000, "30 %"),
        ("en", 1250, "12.5 %"),
        ("en", 1205, "12.05 %"),
        ("fr", 1250, "12,5\u00a0%"),
        ("fr", 1020, "10,2\u00a0%"),
    ],
)
def test_basis_points_read_as_a_percentage(language: str, bp: int | None, text: str) -> None:
    with translation.override(language):
        assert percent_bp(bp) == text


def test_no_amount_reads_as_nothing() -> None:
    assert euros(None) == ""


@pytest.mark.parametrize(
    ("language", "value", "text"),
    [("en", None, ""), ("en", 5100, "5,100"), ("fr", 5100, "5\u202f100"), ("fr", 999, "999")],
)
def test_whole_numbers_are_grouped_as_readers_write_them(
    language: str, value: int | None, text: str
) -> None:
    """Issue 14 item 13: "5100 points de base" reads "5 100"."""
    with translation.override(language):
        assert grouped(value) == text


@pytest.mark.parametrize(
    ("key", "value", "name", "text"),
    [
        ("pledge_max_cents", 100_000_000, "Engagement maximum", "1\u202f000\u202f000,00\u00a0€"),
        ("earmark_cap_bp", 5_100, "Plafond d\u2019affectation", "51\u00a0%"),
        ("some_count", 5_100, "some_count", "5\u202f100"),
        ("pledge_min_cents", None, "Engagement minimum", ""),
    ],
)
def test_a_fund_setting_reads_in_its_unit(
    key: str, value: int | None, name: str, text: str
) -> None:
    """Issue 14 item 13: a motion's new setting is "1 000 000,00 €", not 100000000."""
    with translation.override("fr"):
        assert setting_name(key) == name
        assert setting_value(value, key) == text
