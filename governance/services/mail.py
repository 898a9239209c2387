"""Emails about ballots: opened, closing soon, released, and vote receipts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from governance.models import (
    Ballot,
)

# --- Emails -------------------------------------------------------------------


def _site(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _mail_electorate(ballot: Ballot, what: str) -> None:
    from contributors.models import User  # noqa: PLC0415 -- avoid a cycle through contributors

    ids = {e["holder"] for e in ballot.electorate} | {
        e["substitute"] for e in ballot.electorate if e["substitute"]
    }
    emails = list(User.objects.filter(pk__in=ids).order_by("pk").values_list("email", flat=True))
    with translation.override(settings.LANGUAGE_CODE):
        if what == "opened":
            subject = gettext("Ballot open: %(title)s") % {"title": ballot.title}
            body = gettext("A ballot is open until %(closes)s. Vote here: %(url)s")
            url = _site(reverse("governance:ballot", args=[ballot.pk]))
        elif what == "reminder":
            subject = gettext("Reminder: ballot closing soon: %(title)s") % {"title": ballot.title}
            body = gettext("The ballot closes at %(closes)s. Vote here: %(url)s")
            url = _site(reverse("governance:ballot", args=[ballot.pk]))
        else:
            subject = gettext("Results released: %(title)s") % {"title": ballot.title}
            body = gettext("The results are published in the decision register: %(url)s")
            url = _site(reverse("governance:decision", args=[ballot.pk]))
        text = body % {
            "closes": f"{timezone.localtime(ballot.closes_at):%Y-%m-%d %H:%M}",
            "url": url,
        }
    for email in emails:
        send_mail(subject, text, None, [email])


def _mail_receipt(ballot: Ballot, voter: Any, receipt: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("Your vote receipt: %(title)s") % {"title": ballot.title}
        text = gettext("Your vote was recorded. Receipt: %(receipt)s") % {"receipt": receipt}
    send_mail(subject, text, None, [voter.email])
