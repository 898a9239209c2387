"""The one way the platform sends email.

`mail_enqueue` is called inside the transaction that makes the news: once it
commits, one task per recipient (`librery.tasks.send_mail_task`) renders the
message in the recipient's language and sends it, retrying on SMTP and network
errors. Nothing is sent if the transaction rolls back, and a mail server that
is down never turns a saved change into an error page.

Templates are plain text, `<app>/email/<name>_subject.txt` and
`<app>/email/<name>.txt`, rendered without HTML escaping. Their context holds
JSON values only: amounts in integer cents (shown with `{% load money %}` and
`|euros`), datetimes under keys ending in `_at` and dates under keys ending in
`_date` (shown with `|date:"DATETIME_FORMAT"` or `|date:"DATE_FORMAT"`), plus
`site_name`, `site_url`, and each link of `links` as `settings.SITE_URL` and the
URL reversed in the recipient's language. Every subject gets
`settings.EMAIL_SUBJECT_PREFIX` ("[The Librery] ") in front, as allauth's do.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeAlias

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import transaction
from django.template import Context, Engine
from django.urls import reverse
from django.utils import translation

# What the context of a mail may hold, once serialised for the queue.
JSONValue: TypeAlias = str | int | bool | None
MailContextValue: TypeAlias = JSONValue | datetime | date
# A link: a URL name and its arguments, e.g. ("governance:ballot", [12]).
MailLink: TypeAlias = tuple[str, Sequence[str | int]]

# Names the task puts in every context.
RESERVED_NAMES = frozenset({"site_name", "site_url"})
_TEMPLATE_RE = re.compile(r"[a-z_]+/email/[a-z0-9_]+")


class MailError(ValueError):
    """A mail that cannot be enqueued as asked; the message says why."""


def _serialise_context(context: Mapping[str, MailContextValue]) -> dict[str, JSONValue]:
    values: dict[str, JSONValue] = {}
    for name, value in context.items():
        if name in RESERVED_NAMES:
            raise MailError(f"{name!r} is set by the mail task itself.")
        if isinstance(value, datetime):
            if not name.endswith("_at") or value.tzinfo is None:
                raise MailError(f"{name!r}: a datetime needs a name ending in _at and a timezone.")
            values[name] = value.isoformat()
        elif isinstance(value, date):
            if not name.endswith("_date"):
                raise MailError(f"{name!r}: a date needs a name ending in _date.")
            values[name] = value.isoformat()
        elif value is None or isinstance(value, str | int):  # bool is an int
            values[name] = value
        else:
            raise MailError(f"{name!r}: {type(value).__name__} is not a JSON primitive.")
    return values


def _unique_recipients(recipients: Iterable[int | str]) -> list[int | str]:
    unique: list[int | str] = []
    for recipient in recipients:
        if isinstance(recipient, bool) or not isinstance(recipient, int | str):
            raise MailError(f"A recipient is a user id or an address, not {recipient!r}.")
        if isinstance(recipient, str) and "@" not in recipient:
            raise MailError(f"{recipient!r} is not an email address.")
        if recipient not in unique:
            unique.append(recipient)
    return unique


def _sender(kwargs: dict[str, Any]) -> Callable[[], None]:
    """The callback that enqueues one mail (a function: Django names it in the
    log when it fails, which a `partial` cannot give)."""

    def send_mail_after_commit() -> None:
        from librery.tasks import send_mail_task  # noqa: PLC0415 -- it imports this module

        send_mail_task.apply_async(kwargs=kwargs)

    return send_mail_after_commit


def mail_enqueue(
    *,
    template: str,
    recipients: Iterable[int | str],
    context: Mapping[str, MailContextValue] | None = None,
    links: Mapping[str, MailLink] | None = None,
    using: str | None = None,
) -> int:
    """Send the mail `template` to each of `recipients` (user ids, preferred: the
    mail is then in their language; or plain addresses, in the default language)
    once the current transaction commits. Returns the number of mails enqueued."""
    if not _TEMPLATE_RE.fullmatch(template):
        raise MailError(f"{template!r} is not <app>/email/<name>.")
    values = _serialise_context(context or {})
    link_values = {name: [url_name, list(args)] for name, (url_name, args) in (links or {}).items()}
    clash = (RESERVED_NAMES | set(values)) & set(link_values)
    if clash:
        raise MailError(f"{sorted(clash)} name both a link and a value.")
    unique = _unique_recipients(recipients)
    for recipient in unique:
        kwargs: dict[str, Any] = {
            "template": template,
            "recipient": recipient,
            "context": values,
            "links": link_values,
        }
        # Robust: a broker that is down is logged, and never turns the change
        # just committed into an error page.
        transaction.on_commit(_sender(kwargs), using=using, robust=True)
    return len(unique)


def message_enqueue(
    *, subject: str, body: str, to: str, html_body: str = "", using: str | None = None
) -> None:
    """Send a message already rendered (django-allauth's account emails, rendered
    in the language of the request that asks for them: the reader's own) through
    the same task, once the current transaction commits."""
    if "@" not in to:
        raise MailError(f"{to!r} is not an email address.")
    kwargs: dict[str, Any] = {
        "template": "",
        "recipient": to,
        "context": {},
        "links": {},
        "rendered": {"subject": subject, "body": body, "html": html_body},
    }
    transaction.on_commit(_sender(kwargs), using=using, robust=True)


# --- In the task ------------------------------------------------------------


def _address_and_language(recipient: int | str) -> tuple[str, str]:
    """The address to write to and the language to write in ("" when nobody)."""
    if isinstance(recipient, str):
        return recipient, settings.LANGUAGE_CODE
    row = (
        get_user_model()
        .objects.filter(pk=recipient, is_active=True)
        .values_list("email", "language")
        .first()
    )
    if row is None:
        return "", settings.LANGUAGE_CODE
    email, language = row
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    return email, language


def _deserialise_context(context: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in context.items():
        if isinstance(value, str) and name.endswith("_at"):
            values[name] = datetime.fromisoformat(value)
        elif isinstance(value, str) and name.endswith("_date"):
            values[name] = date.fromisoformat(value)
        else:
            values[name] = value
    return values


def _render(template_name: str, values: dict[str, Any]) -> str:
    """Plain text: rendered with autoescape off, so "L'équipe & co" stays as is."""
    template = Engine.get_default().get_template(template_name)
    return template.render(Context(values, autoescape=False))


def mail_render(
    *, template: str, context: Mapping[str, Any], links: Mapping[str, Sequence[Any]]
) -> tuple[str, str]:
    """The subject and body of `template` in the active language."""
    values = _deserialise_context(context)
    values["site_name"] = settings.SITE_NAME
    values["site_url"] = settings.SITE_URL
    for name, (url_name, args) in links.items():
        values[name] = settings.SITE_URL + reverse(url_name, args=args)
    # One line (a header cannot hold a line break); no-break spaces are kept.
    lines = _render(f"{template}_subject.txt", values).splitlines()
    words = " ".join(line.strip() for line in lines if line.strip())
    subject = settings.EMAIL_SUBJECT_PREFIX + words
    body = _render(f"{template}.txt", values)
    return subject, body


def mail_send(
    *,
    template: str,
    recipient: int | str,
    context: Mapping[str, Any],
    links: Mapping[str, Sequence[Any]],
    rendered: Mapping[str, str] | None = None,
) -> int:
    """Render `template` for `recipient` in their language and send it: 1 when
    sent, 0 when the recipient has no address (or no active account any more).
    A message `rendered` already is sent as it is. SMTP and network errors
    propagate, for the task to retry."""
    if rendered is not None:
        to = [str(recipient)]
        message = EmailMultiAlternatives(rendered["subject"], rendered["body"], None, to)
        if rendered.get("html"):
            message.attach_alternative(rendered["html"], "text/html")
        return message.send()
    address, language = _address_and_language(recipient)
    if not address:
        return 0
    with translation.override(language):
        subject, body = mail_render(template=template, context=context, links=links)
    return send_mail(subject, body, None, [address])
