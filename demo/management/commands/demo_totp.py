from __future__ import annotations

import time
from typing import Any

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo import data as demo


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo administrator (demo users only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", default=demo.DEMO_USERS[0].email)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.LIBRERY_DEMO:
            raise CommandError("Demo codes are printed only with LIBRERY_DEMO=True.")
        if not demo.is_demo_email(options["email"]):
            raise CommandError("Only demo users' codes can be printed.")
        code = format_hotp_value(hotp_value(demo.DEMO_TOTP_SECRET, int(time.time()) // 30))
        self.stdout.write(code)
