from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects import services


class Command(BaseCommand):
    help = (
        "Import the SILL 2020 catalogue (DINUM, Licence Ouverte 2.0) as proposed projects. "
        "Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", type=Path, default=services.SILL_CSV)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = services.sill_import(path=options["path"])
        except services.SillImportError as exc:
            raise CommandError(f"Cannot import {options['path']}: {exc}") from exc
        self.stdout.write(
            f"SILL 2020 (source: DINUM, Licence Ouverte 2.0): {result.created} created, "
            f"{result.updated} updated, {result.unchanged} unchanged."
        )
