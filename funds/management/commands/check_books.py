"""Verify every invariant of the books; exit non-zero naming the broken one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from funds.selectors import books_check


class Command(BaseCommand):
    help = "Verify every invariant of the fund's books (ledger, receipts, payments)."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = books_check()
        if problems:
            for problem in problems:
                self.stderr.write(f"BROKEN {problem.invariant}: {problem.detail}")
            raise CommandError(f"books check failed: {problems[0].invariant}", returncode=1)
        self.stdout.write("books check: every invariant holds")
