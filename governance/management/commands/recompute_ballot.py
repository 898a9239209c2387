"""Recompute a released ballot from its published bundle alone and check the
bundle against the hash the register publishes:
`manage.py recompute_ballot DECISION_URL` or `manage.py recompute_ballot
BUNDLE.json --sha256 HEX` (the tally is verify.py's, written apart from the
platform's own in governance/tally.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

import verify


class Command(BaseCommand):
    help = (
        "Recompute a released ballot from its bundle (the decision's public URL, or a file "
        "with --sha256) and say whether it matches the register."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "bundle", help="the decision's public URL, its bundle's URL, or a bundle file"
        )
        parser.add_argument("--sha256", help="the hash the register publishes for the bundle")
        parser.add_argument("--receipt", help="a voter's receipt, to find and recompute it")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            ok, lines = verify.verify_ballot(
                options["bundle"], options["sha256"], options["receipt"]
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise CommandError(f"mismatch: the bundle cannot be read: {error}") from None
        for line in lines[:-1]:
            self.stdout.write(line)
        if not ok:
            raise CommandError(lines[-1], returncode=1)
        self.stdout.write(lines[-1])
