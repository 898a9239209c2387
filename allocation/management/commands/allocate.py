"""Run (or preview) the allocation of a month: `manage.py allocate [YYYY-MM] [--preview]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from allocation.errors import AllocationError
from allocation.services import allocation_month_run, allocation_preview, previous_period
from funds.money import format_money


class Command(BaseCommand):
    help = "Allocate a month's receipts (by default the previous month), or preview it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("period", nargs="?", help="the month, YYYY-MM (default: last month)")
        parser.add_argument(
            "--preview", action="store_true", help="compute and print, book nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        period = options["period"] or previous_period(timezone.now())
        try:
            if options["preview"]:
                figures = allocation_preview(period=period)
                self.stdout.write(f"Preview of {period} (nothing booked):")
                lines = [
                    ("receipts", str(figures.receipts_count)),
                    ("net", format_money(figures.net_cents)),
                    ("fee", format_money(figures.fee_cents)),
                    ("earmarked", format_money(figures.earmarked_cents)),
                    ("to the pool", format_money(figures.pool_in_cents)),
                    ("pool shared", format_money(figures.pool_shared_cents)),
                    ("pool carried out", format_money(figures.pool_carried_out_cents)),
                ]
            else:
                run = allocation_month_run(period=period)
                self.stdout.write(f"Allocation {run.period}: {run.status}")
                lines = [
                    ("receipts", str(run.receipts_count)),
                    ("net", format_money(run.net_cents)),
                    ("fee", format_money(run.fee_cents)),
                    ("earmarked", format_money(run.earmarked_cents)),
                    ("to the pool", format_money(run.pool_in_cents)),
                    ("pool shared", format_money(run.pool_shared_cents)),
                    ("pool carried out", format_money(run.pool_carried_out_cents)),
                    ("document sha256", run.document_sha256),
                ]
        except AllocationError as error:
            raise CommandError(str(error)) from None
        for name, value in lines:
            self.stdout.write(f"  {name:<17} {value}")
