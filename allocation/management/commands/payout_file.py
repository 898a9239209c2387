"""Write a payout batch's SEPA credit transfer file (pain.001.001.03):
`manage.py payout_file BATCH_ID|latest PATH` (`-` writes to the standard output)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from allocation.errors import DisbursementError
from allocation.models import PayoutBatch
from allocation.services import payout_batch_export
from librery.numbers import whole_number


class Command(BaseCommand):
    help = "Write a payout batch's SEPA credit transfer file (pain.001.001.03)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("batch", help="the batch's id, or 'latest'")
        parser.add_argument("path", help="where to write the file ('-': standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        batches = PayoutBatch.objects.select_related("run")
        wanted = str(options["batch"])
        if wanted == "latest":
            batch = batches.order_by("-created_at", "-pk").first()
        elif (number := whole_number(wanted)) is not None:
            batch = batches.filter(pk=number).first()
        else:
            raise CommandError("Give a batch id or 'latest'.")
        if batch is None:
            raise CommandError(f"No payout batch {wanted}.")
        try:
            content = payout_batch_export(
                batch=batch, execution_date=timezone.localdate(), via="payout_file"
            )
        except DisbursementError as error:
            raise CommandError(str(error)) from None
        if options["path"] == "-":
            self.stdout.write(content.decode())
            return
        Path(options["path"]).write_bytes(content)
        count = batch.payouts.count()
        self.stdout.write(
            f"Batch #{batch.pk} ({batch.run.period}): {count} payout{'s' if count != 1 else ''} "
            f"written to {options['path']}."
        )
