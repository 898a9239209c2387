"""Measure the money paths against baselines in the same run (issue 16):
webhook bookings, monthly renewals, a nothing-due day, bank statements. On the
current database (PostgreSQL in earnest); everything it builds is rolled back."""

from __future__ import annotations

import importlib
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandParser

from funds.benchmarks import renewals, webhooks


def _sizes(text: str) -> list[int]:
    return [int(size) for size in text.split(",") if size.strip()]


class Command(BaseCommand):
    help = (
        "Benchmark the money paths: webhook bookings per second vs a hello-world POST, "
        "renewal ms per pledge vs a plain-SQL insert (with and without past payments), "
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

    def handle(self, *args: Any, **options: Any) -> None:
        stdout = cast("TextIO", self.stdout)  # Django's wrapper writes as a text stream does
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
