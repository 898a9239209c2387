"""The shared validators: invisible control characters and text limits."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from librery.validators import limit_text, refuse_invisible_controls

REFUSED = [
    *(chr(c) for c in range(0x09)),
    "\x0b",
    "\x0c",
    *(chr(c) for c in range(0x0E, 0x20)),
    *(chr(c) for c in range(0x7F, 0xA0)),
    "\u200e",
    "\u200f",
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
]


@pytest.mark.parametrize("char", REFUSED, ids=lambda c: f"U+{ord(c):04X}")
def test_invisible_controls_are_refused(char: str) -> None:
    with pytest.raises(ValidationError) as caught:
        refuse_invisible_controls(f"name{char}gpj.exe")
    with translation.override("en"):
        messages = caught.value.messages
    assert messages == [
        f"This text contains an invisible control character (U+{ord(char):04X}); "
        "remove it and try again."
    ]
    assert caught.value.code == "invisible_control"


@pytest.mark.parametrize(
    "text",
    ["", "Plain", "Ligne 1\r\n\tLigne 2", "Émile Zoé ñ 中文 עברית العربية", "a\u200bb", "x\u00a0y"],
)
def test_visible_text_and_line_breaks_pass(text: str) -> None:
    refuse_invisible_controls(text)


def test_non_text_is_left_to_other_validators() -> None:
    refuse_invisible_controls(None)
    refuse_invisible_controls(12)


def test_the_message_is_translated() -> None:
    with pytest.raises(ValidationError) as caught:
        refuse_invisible_controls("a\u202eb")
    with translation.override("fr"):
        messages = caught.value.messages
    assert messages == [
        "Ce texte contient un caractère de contrôle invisible (U+202E) ; retirez-le et réessayez."
    ]


def test_the_validator_deconstructs_for_migrations() -> None:
    path, args, kwargs = refuse_invisible_controls.deconstruct()  # type: ignore[attr-defined]
    assert (path, args, kwargs) == ("librery.validators.InvisibleControlsValidator", (), {})
    assert refuse_invisible_controls == type(refuse_invisible_controls)()


def test_limit_text() -> None:
    limit_text(5)("12345")
    with pytest.raises(ValidationError) as caught:
        limit_text(5)("123456")
    with translation.override("en"):
        messages = caught.value.messages
    assert messages == ["Ensure this value has at most 5 characters (it has 6)."]
