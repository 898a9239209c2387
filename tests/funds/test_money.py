from __future__ import annotations

import pytest
from django.utils import translation

from funds.money import localized_amount, split_cents
from funds.templatetags.money import euros
from projects.templatetags.projects_extras import cents_as_euros

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("cents", "parts"),
    [(0, ("", 0, 0)), (5, ("", 0, 5)), (123456, ("", 1234, 56)), (-101, ("-", 1, 1))],
)
def test_split_cents(cents: int, parts: tuple[str, int, int]) -> None:
    assert split_cents(cents) == parts


def test_amounts_follow_the_active_language() -> None:
    with translation.override("en"):
        assert localized_amount(123456) == "1,234.56"
        assert euros(-5) == "-0.05 €"
        assert cents_as_euros(100) == "1.00"
    with translation.override("fr"):
        assert localized_amount(123456) == "1\xa0234,56"
        assert euros(None) == ""
