"""Recompute a published allocation run from its document alone:
`manage.py recompute_allocation FILE_OR_URL [--sha256 HEX]` (the arithmetic
is verify.py's, written apart from the platform's)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

import verify


class Command(BaseCommand):
    help = "Recompute a published allocation run from its JSON document; say match or not."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("document", help="the document: a file or its public URL")
        parser.add_argument("--sha256", help="the hash the platform publishes for it")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            ok, lines = verify.verify_allocation(options["document"], options["sha256"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise CommandError(f"cannot read the document: {error}") from None
        for line in lines:
            self.stdout.write(line)
        if not ok:
            raise CommandError("the document does not match", returncode=1)
