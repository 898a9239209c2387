"""Emails to contributors about their payments (success, failure, renewal problems)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from funds.models import Payment

PAYMENT_EMAIL_KINDS = ("succeeded", "failed", "renewal_problem")


def payment_email_send(*, payment: Payment, kind: str) -> int:
    """Send the email of `kind` about `payment` to the people of its contributor.
    Returns the number of messages sent (0 when nobody has an address)."""
    if kind not in PAYMENT_EMAIL_KINDS:
        raise ValueError(f"Unknown payment email {kind!r}.")
    contributor = payment.pledge.contributor
    owner = {contributor.user.email} if contributor.user is not None else set()
    members = {m.user.email for m in contributor.memberships.select_related("user")}
    recipients = sorted(owner | members)
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "payment": payment,
            "contributor": contributor,
            "url": settings.SITE_URL + reverse("contributors:my_contributions"),
        }
        subject = render_to_string(f"funds/email/payment_{kind}_subject.txt", context).strip()
        body = render_to_string(f"funds/email/payment_{kind}.txt", context)
    return send_mail(subject, body, None, recipients)
