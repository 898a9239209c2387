"""SPDX licence identifiers, checked against license-expression's bundled SPDX list."""

from __future__ import annotations

import re
from functools import cache

from license_expression import (  # type: ignore[import-untyped]
    ExpressionError,
    Licensing,
    get_spdx_licensing,
)

# Spellings found in the SILL that are unambiguous SPDX identifiers.
_ALIASES = {
    "GPL V2.0": "GPL-2.0-only",
    "GPL V3.0": "GPL-3.0-only",
}
_SPACED_VERSION = re.compile(r"^([A-Za-z]+) ?v?(\d+(?:\.\d+)?)$", re.IGNORECASE)


@cache
def _licensing() -> Licensing:
    return get_spdx_licensing()


def spdx_normalise(value: str) -> str | None:
    """The SPDX expression `value` names, in its canonical spelling, or None."""
    value = value.strip()
    if not value:
        return None
    if value.lower().startswith("spdx:"):
        value = value[5:].strip()
    value = _ALIASES.get(value, value)
    candidates = [value]
    spaced = _SPACED_VERSION.match(value)
    if spaced:
        name, version = spaced.groups()
        candidates.append(f"{name}-{version}")
        if "." not in version:
            candidates.append(f"{name}-{version}.0")
    for candidate in candidates:
        try:
            info = _licensing().validate(candidate, strict=True)
        except ExpressionError:
            continue
        if not info.errors and info.normalized_expression:
            return str(info.normalized_expression)
    return None
