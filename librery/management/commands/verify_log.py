"""Verify the publication log from its public address:
`manage.py verify_log https://…/transparency/log.json [--head POSITION:HASH]`
fetches every page, recomputes the chain, fetches every document it lists and
checks its hash (the checks are verify.py's, standard library only)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

import verify


class Command(BaseCommand):
    help = (
        "Fetch the publication log, recompute its hash chain, fetch every document it "
        "lists and check its hash."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="the log's public address (…/transparency/log.json)")
        parser.add_argument(
            "--head", help="a head noted earlier, POSITION:HASH, that the log must still hold"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            ok, lines = verify.verify_log(options["url"], options["head"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise CommandError(f"the log cannot be read: {error}") from None
        for line in lines[:-1]:
            self.stdout.write(line)
        if not ok:
            raise CommandError(lines[-1], returncode=1)
        self.stdout.write(lines[-1])
