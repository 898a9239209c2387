from __future__ import annotations

import time
from typing import Any

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo import data as demo


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo administrator (demo users only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", default=demo.DEMO_USERS[0].email)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.LIBRERY_DEMO:
            raise CommandError("Demo codes are printed only with LIBRERY_DEMO=True.")
        if not demo.is_demo_email(options["email"]):
            raise CommandError("Only demo users' codes can be printed.")
        secret = demo.DEMO_TOTP_SECRETS.get(options["email"].lower())
        if secret is None:
            raise CommandError("Only the demo administrators have a two-factor code.")
        code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
        self.stdout.write(code)
