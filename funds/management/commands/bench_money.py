"""Measure the money paths against baselines in the same run (issue 16):
webhook bookings, monthly renewals, a nothing-due day, bank statements. In a
new database of the configured vendor (PostgreSQL in earnest), migrated, where
every transaction commits as in production, then dropped; the older measures
(one transaction rolled back) are printed beside. `--current-database` runs
in the configured database instead, committing there: only for one you throw
away (the tests' own)."""

from __future__ import annotations

import importlib
from contextlib import nullcontext
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandParser

from funds.benchmarks import renewals, webhooks
from funds.benchmarks.database import own_database


def _sizes(text: str) -> list[int]:
    return [int(size) for size in text.split(",") if size.strip()]


class Command(BaseCommand):
    help = (
        "Benchmark the money paths, committed in a database of their own: webhook POSTs per "
        "second vs a hello-world POST and the bookings' rate, renewal ms per pledge vs a "
        "plain-SQL INSERT + COMMIT (with and without past payments), "
        "the statements of a nothing-due day, and bank statements' ms per entry."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--events", type=int, default=300, help="webhook events booked")
        parser.add_argument("--renewals", type=int, default=300, help="monthly pledges charged")
        parser.add_argument("--past", type=int, default=50_000, help="past payments (history)")
        parser.add_argument("--idle", type=int, default=2_000, help="pledges on a nothing-due day")
        parser.add_argument(
            "--statement-sizes",
            type=_sizes,
            default=[1_000, 10_000],
            help="statement entries, comma separated (none: skip)",
        )
        parser.add_argument(
            "--current-database",
            action="store_true",
            help="commit in the configured database (one you throw away), not a new one",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stdout = cast("TextIO", self.stdout)  # Django's wrapper writes as a text stream does
        with nullcontext() if options["current_database"] else own_database():
            self._measure(stdout, options)

    def _measure(self, stdout: TextIO, options: dict[str, Any]) -> None:
        webhooks.run_committed(stdout, options["events"])
        renewals.run_committed(stdout, renewals=options["renewals"], past=options["past"])
        webhooks.run(stdout, options["events"])
        renewals.run(
            stdout, renewals=options["renewals"], past=options["past"], idle=options["idle"]
        )
        try:
            statements = importlib.import_module("funds.benchmarks.statements")
        except ImportError:
            stdout.write("statements: no benchmark (funds.benchmarks.statements is missing)")
            return
        if options["statement_sizes"]:
            statements.run(stdout, options["statement_sizes"])
