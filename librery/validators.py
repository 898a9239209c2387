"""Validators shared by every app's models and forms.

`refuse_invisible_controls` refuses the characters that make a text look
different from what it holds: the bidirectional overrides and isolates
(U+202A to U+202E, U+2066 to U+2069), the left-to-right and right-to-left marks
(U+200E, U+200F) and the C0 and C1 control characters other than tab, line
feed and carriage return. Use it on names and titles.

`limit_text(max_length)` is the length limit for a `TextField`, which has no
database limit ("Ensure this value has at most N characters (it has M).")."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# C0 controls except \t \n \r, DEL and C1 controls, LRM/RLM, bidi embeddings,
# overrides and isolates.
INVISIBLE_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


@deconstructible
class InvisibleControlsValidator:
    """Refuses a text holding an invisible control or bidirectional character."""

    message = _(
        "This text contains an invisible control character (U+%(codepoint)s); "
        "remove it and try again."
    )
    code = "invisible_control"

    def __call__(self, value: object) -> None:
        if not isinstance(value, str):
            return
        match = INVISIBLE_CONTROLS.search(value)
        if match is not None:
            raise ValidationError(
                self.message,
                code=self.code,
                params={"codepoint": f"{ord(match.group()):04X}"},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InvisibleControlsValidator)

    def __hash__(self) -> int:
        return hash(self.code)


refuse_invisible_controls = InvisibleControlsValidator()


def limit_text(max_length: int) -> MaxLengthValidator:
    """A length limit for a `TextField`; Django's message names the limit and the length."""
    return MaxLengthValidator(max_length)
