"""Emails about ballots: opened, closing soon, released, and vote receipts.

Each is enqueued through `librery.mail.mail_enqueue`: sent after the commit,
one task per person, in their language, retried if the mail server fails."""

from __future__ import annotations

from typing import Any

from governance.models import Ballot
from librery.mail import mail_enqueue

ELECTORATE_MAILS = ("opened", "reminder", "released")


def _mail_electorate(ballot: Ballot, what: str) -> None:
    """Tell every holder and substitute of the ballot's frozen electorate that it
    opened, closes soon, or that its results are released."""
    if what not in ELECTORATE_MAILS:
        raise ValueError(f"Unknown ballot email {what!r}.")
    ids = {e["holder"] for e in ballot.electorate} | {
        e["substitute"] for e in ballot.electorate if e["substitute"]
    }
    page = "governance:decision" if what == "released" else "governance:ballot"
    mail_enqueue(
        template=f"governance/email/ballot_{what}",
        recipients=sorted(ids),
        context={"title": ballot.title, "closes_at": ballot.closes_at},
        links={"url": (page, [ballot.pk])},
    )


def _mail_receipt(ballot: Ballot, voter: Any, receipt: str) -> None:
    """The voter's receipt, to check their vote in the published bundle."""
    mail_enqueue(
        template="governance/email/vote_receipt",
        recipients=[voter.pk],
        context={"title": ballot.title, "receipt": receipt},
        links={"url": ("governance:ballot", [ballot.pk])},
    )
