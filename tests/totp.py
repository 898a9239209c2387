"""TOTP codes for tests."""

from __future__ import annotations

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.utils import timezone


def totp_code(secret: str, step: int = 0) -> str:
    """The code of the moment (`step` 30-second windows later: allauth takes
    only the current one, so a second code in one test waits for nothing but
    must differ: tests use the replay rule on purpose)."""
    left = 30 - timezone.now().timestamp() % 30
    if step == 0 and left < 5:
        # A code typed in a browser under load could reach the server in the
        # next window, which allauth (no tolerance) refuses: take the next one.
        time.sleep(left)
    return str(format_hotp_value(hotp_value(secret, int(timezone.now().timestamp()) // 30 + step)))
