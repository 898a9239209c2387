from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo import data as demo


class Command(BaseCommand):
    help = (
        "Load the demo data (SILL 2020 catalogue, fictional contributors, pledges, "
        "ballots and demo users). Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.LIBRERY_DEMO:
            raise CommandError(
                "The demo data creates users whose passwords are public: "
                "it loads only with LIBRERY_DEMO=True."
            )
        users = demo.demo_load()
        self.stdout.write("")
        self.stdout.write("Demo data loaded. Projects: SILL 2020, DINUM, Licence Ouverte 2.0.")
        self.stdout.write("Demo users (fictional) — role / email / password:")
        width = max(len(user.email) for user in users)
        for user in users:
            self.stdout.write(f"  {user.email:<{width}}  {user.password:<26}  {user.role}")
        self.stdout.write(
            "  The administrator has two-factor authentication: "
            "`make demo-code` (or `manage.py demo_totp`) prints the current code."
        )
        self.stdout.write(
            "  Open now: a motion and a pool allocation round (seat holders vote in the "
            "governance portal); an earlier round is in the decision register."
        )
        self.stdout.write(
            "  Earmark from an SBOM: upload demo/data/demo-application.cdx.json on the "
            'pledge form\'s "Earmark from an SBOM" page (it names demo projects).'
        )
        self.stdout.write("")
