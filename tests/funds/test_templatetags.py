"""The money template filters: cents and basis points as readers write them."""

from __future__ import annotations

import pytest
from django.utils import translation

from funds.templatetags.money import euros, percent_bp

pytestmark = [pytest.mark.unit]


@pytest.mark.parametrize(
    ("language", "bp", "text"),
    [
        ("en", None, ""),
        ("en", 3000, "30 %"),
        ("en", 1250, "12.5 %"),
        ("en", 1205, "12.05 %"),
        ("fr", 1250, "12,5 %"),
    ],
)
def test_basis_points_read_as_a_percentage(language: str, bp: int | None, text: str) -> None:
    with translation.override(language):
        assert percent_bp(bp) == text


def test_no_amount_reads_as_nothing() -> None:
    assert euros(None) == ""
