"""`whole_number`: what a query string, a statement or a header says, read safely."""

from __future__ import annotations

import pytest

from librery.numbers import whole_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", 0), ("7", 7), ("0042", 42), ("9" * 18, 10**18 - 1)],
)
def test_ascii_digits_are_a_number(text: str, expected: int) -> None:
    assert whole_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "²",  # str.isdigit() says yes, int() says no
        "\u0661",  # Arabic-Indic one: int() would read it, but it is no id of ours
        "\uff11",  # fullwidth one
        "-1",
        "+1",
        " 1",
        "1 ",
        "1_000",
        "1.0",
        "1e3",
        "9" * 19,  # more than a bigint holds
        "9" * 5000,  # more than int() reads
    ],
)
def test_anything_else_is_none(text: str | None) -> None:
    assert whole_number(text) is None


def test_the_limit_is_the_callers() -> None:
    assert whole_number("123", max_digits=3) == 123
    assert whole_number("1234", max_digits=3) is None
