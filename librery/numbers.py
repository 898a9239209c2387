"""Whole numbers read from text we do not control (a query string, a bank
statement, a remote header, a command-line argument).

`str.isdigit()` is not the check to use before `int()`: it accepts "²" and other
Unicode digits that `int()` refuses (ValueError), and `int()` refuses a text of
more than 4 300 digits. `whole_number` accepts ASCII digits only, and at most
`max_digits` of them (18 by default: every such number fits a PostgreSQL
bigint, so a lookup by id never overflows)."""

from __future__ import annotations

ID_DIGITS = 18  # 999 999 999 999 999 999 < 2**63


def whole_number(text: str | None, *, max_digits: int = ID_DIGITS) -> int | None:
    """The number `text` spells in ASCII digits (no sign, no spaces), or None."""
    if not text or len(text) > max_digits or not text.isascii() or not text.isdigit():
        return None
    return int(text)
