"""Enter in the publication log what was published before it existed: every
released ballot and every computed month, in the order they were published.
Safe to run again: what the log already holds is left as it is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand

from allocation.enums import RunStatus
from allocation.models import AllocationRun
from governance.enums import BallotStatus
from governance.models import Ballot
from librery.models import PublicationEntry, PublicationKind
from librery.publication import public_path
from librery.services import publication_append


class Command(BaseCommand):
    help = "Enter the ballots released and the months computed before the log existed."

    def handle(self, *args: Any, **options: Any) -> None:
        logged = set(PublicationEntry.objects.values_list("kind", "reference"))
        due: list[tuple[datetime, str, str, str, str]] = [
            (at, PublicationKind.BALLOT, str(pk), public_path("governance:bundle", pk), sha256)
            for pk, at, sha256 in Ballot.objects.filter(status=BallotStatus.RELEASED)
            .exclude(bundle_hash="")
            .values_list("pk", "released_at", "bundle_hash")
            if at is not None
        ]
        due += [
            (
                at,
                PublicationKind.ALLOCATION_RUN,
                period,
                public_path("allocation:run_json", period),
                sha256,
            )
            for period, at, sha256 in AllocationRun.objects.filter(
                status=RunStatus.COMPUTED
            ).values_list("period", "computed_at", "document_sha256")
            if at is not None
        ]
        added = 0
        for at, kind, reference, url, sha256 in sorted(due):
            if (kind, reference) in logged:
                continue
            publication_append(kind=kind, reference=reference, url=url, sha256=sha256, at=at)
            added += 1
        self.stdout.write(f"{added} entries added to the publication log")
