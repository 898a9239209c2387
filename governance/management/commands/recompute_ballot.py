"""Recompute a published ballot bundle and say whether it matches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.tally import bundle_recompute, sha256_hex


class Command(BaseCommand):
    help = "Recompute a published ballot bundle (JSON) and say whether its result matches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("bundle", type=Path)

    def handle(self, *args: Any, bundle: Path, **options: Any) -> None:
        try:
            data = json.loads(bundle.read_text(encoding="utf-8"), parse_float=_refuse_float)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {bundle}: {exc}") from exc
        if not isinstance(data, dict):
            raise CommandError("mismatch: the bundle is not a JSON object")
        matches, problems = bundle_recompute(data)
        self.stdout.write(f"sha256 {sha256_hex(data)}")
        if not matches:
            raise CommandError("mismatch: " + "; ".join(problems))
        self.stdout.write("match")


def _refuse_float(text: str) -> Any:
    raise ValueError(f"floats are not allowed in a bundle ({text})")
