"""The one mail path: enqueued after the commit, one task per recipient,
rendered in the recipient's language, retried when the mail server fails."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from smtplib import SMTPServerDisconnected
from typing import Any
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from kombu.exceptions import OperationalError
from pytest_django.fixtures import SettingsWrapper

from contributors.models import User
from governance import services as governance_services
from governance.enums import BallotKind
from governance.models import Vote
from librery.mail import MailError, mail_enqueue, mail_render
from librery.tasks import MAIL_MAX_RETRIES, send_mail_task
from projects.models import Maintainership, PayoutAccount
from tests.factories import TEST_PASSWORD, UserFactory
from tests.mail import DownBackend, FlakyBackend, mail_tasks, run_mail_task

pytestmark = [pytest.mark.integration]

OPENED = "governance/email/ballot_opened"
CLOSES_AT = datetime(2026, 3, 5, 13, 0, tzinfo=UTC)  # 14:00 in Paris


def _wait(retry: Retry) -> int:
    """The seconds a retry waits (with jitter: at most the backoff)."""
    assert isinstance(retry.when, int)
    return retry.when


def _opened(recipients: list[int | str], title: str = "Adopt the charter") -> int:
    return mail_enqueue(
        template=OPENED,
        recipients=recipients,
        context={"title": title, "closes_at": CLOSES_AT},
        links={"url": ("governance:ballot", [12])},
    )


@pytest.mark.django_db
def test_nothing_is_sent_before_the_commit_then_one_task_per_recipient(
    django_capture_on_commit_callbacks: Any,
) -> None:
    first, second = UserFactory.create(), UserFactory.create()
    with mail_tasks() as queued:
        with django_capture_on_commit_callbacks() as callbacks:
            assert _opened([first.pk, second.pk, first.pk, "board@example.org"]) == 3
            assert (queued, mail.outbox) == ([], [])
        assert len(callbacks) == 3
        assert (queued, mail.outbox) == ([], [])
        for callback in callbacks:
            callback()
        assert [kwargs["recipient"] for kwargs in queued] == [
            first.pk,
            second.pk,
            "board@example.org",
        ]
        assert mail.outbox == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [first.email, second.email, "board@example.org"]
    )


@pytest.mark.django_db
def test_a_rolled_back_transaction_sends_nothing(django_capture_on_commit_callbacks: Any) -> None:
    user = UserFactory.create()

    def open_then_fail() -> None:
        with transaction.atomic():
            _opened([user.pk])
            raise RuntimeError

    with (
        mail_tasks() as queued,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        open_then_fail()
    assert (callbacks, queued, mail.outbox) == ([], [], [])


@pytest.mark.django_db
def test_each_reads_the_same_mail_in_their_own_language(
    django_capture_on_commit_callbacks: Any, settings: SettingsWrapper
) -> None:
    settings.SITE_URL = "https://fund.example.org"
    french = UserFactory.create(language="fr")
    english = UserFactory.create(language="en")
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        _opened([french.pk, english.pk])
    by_address = {m.to[0]: m for m in mail.outbox}
    assert by_address[french.email].subject == "[The Librery] Scrutin ouvert : Adopt the charter"
    assert by_address[french.email].body == (
        "Le scrutin «\u00a0Adopt the charter\u00a0» est ouvert jusqu\u2019au 5 mars 2026 14:00 "
        "(heure de Paris).\n"
        "Votez ici : https://fund.example.org/governance/portal/ballots/12/\n"
        "\n"
        "The Librery — https://fund.example.org\n"
    )
    assert by_address[english.email].subject == "[The Librery] Ballot open: Adopt the charter"
    assert by_address[english.email].body == (
        "The ballot \u201cAdopt the charter\u201d is open until March 5, 2026, 2 p.m. "
        "(Paris time).\n"
        "Vote here: https://fund.example.org/en/governance/portal/ballots/12/\n"
        "\n"
        "The Librery — https://fund.example.org\n"
    )


@pytest.mark.django_db
def test_no_language_means_the_default_one_and_addresses_too(
    django_capture_on_commit_callbacks: Any,
) -> None:
    user = UserFactory.create(language="")
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        _opened([user.pk, "board@example.org"])
    subject = "[The Librery] Scrutin ouvert : Adopt the charter"
    assert [m.subject for m in mail.outbox] == [subject] * 2


@pytest.mark.django_db
def test_plain_text_is_not_html_escaped(
    django_capture_on_commit_callbacks: Any, settings: SettingsWrapper
) -> None:
    settings.SITE_NAME = "L'équipe & co"
    settings.EMAIL_SUBJECT_PREFIX = "[L'équipe & co] "
    user = UserFactory.create(language="en")
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        _opened([user.pk], title="<Ballot> of L'équipe & co")
    (message,) = mail.outbox
    assert message.subject == "[L'équipe & co] Ballot open: <Ballot> of L'équipe & co"
    assert message.body.endswith("\n\nL'équipe & co — http://127.0.0.1:8000\n")
    assert "&amp;" not in str(message.body)
    assert "&#x27;" not in f"{message.subject}{message.body}"


@pytest.mark.django_db
def test_payment_amounts_are_written_the_reader_s_way(
    django_capture_on_commit_callbacks: Any,
) -> None:
    french = UserFactory.create(language="fr")
    english = UserFactory.create(language="en")
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        mail_enqueue(
            template="funds/email/payment_succeeded",
            recipients=[french.pk, english.pk],
            context={"name": "Alice", "amount_cents": 123456, "failure_message": ""},
            links={"url": ("contributors:my_contributions", [])},
        )
    by_address = {m.to[0]: m for m in mail.outbox}
    thanks = "[The Librery] Merci : nous avons reçu 1\u202f234,56\u00a0€"
    assert by_address[french.email].subject == thanks
    assert by_address[english.email].subject == "[The Librery] Thank you: we received €1,234.56"
    assert "http://127.0.0.1:8000/contribute/mine/\n" in by_address[french.email].body
    assert "http://127.0.0.1:8000/en/contribute/mine/\n" in by_address[english.email].body


@pytest.mark.django_db
def test_nobody_to_write_to_sends_nothing() -> None:
    gone = UserFactory.create(is_active=False)
    kwargs = {"template": OPENED, "context": {"title": "T", "closes_at": None}, "links": {}}
    assert send_mail_task.apply(kwargs={**kwargs, "recipient": gone.pk}).get() == 0
    assert send_mail_task.apply(kwargs={**kwargs, "recipient": 999_999}).get() == 0
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"template": "governance/ballot_opened"}, "is not <app>/email/<name>"),
        ({"recipients": [True]}, "A recipient is a user id or an address"),
        ({"recipients": ["nobody"]}, "is not an email address"),
        ({"context": {"amount": 12.5}}, "float is not a JSON primitive"),
        ({"context": {"closes": CLOSES_AT}}, "a datetime needs a name ending in _at"),
        ({"context": {"closes_at": datetime(2026, 3, 5)}}, "and a timezone"),  # noqa: DTZ001
        ({"context": {"start": date(2026, 3, 5)}}, "a date needs a name ending in _date"),
        ({"context": {"site_name": "x"}}, "is set by the mail task itself"),
        ({"context": {"url": "x"}, "links": {"url": ("home", [])}}, "name both a link"),
    ],
)
def test_what_cannot_travel_is_refused(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(MailError, match=message):
        mail_enqueue(**{"template": OPENED, "recipients": [1], **arguments})


# --- The mail server fails -------------------------------------------------


@pytest.mark.django_db
def test_a_failing_server_is_retried_for_that_recipient_only(
    django_capture_on_commit_callbacks: Any, settings: SettingsWrapper
) -> None:
    settings.EMAIL_BACKEND = "tests.mail.FlakyBackend"
    FlakyBackend.attempts = 0
    first, second = UserFactory.create(), UserFactory.create()
    with mail_tasks(run=False) as queued, django_capture_on_commit_callbacks(execute=True):
        _opened([first.pk, second.pk])
    (sent, retries), (sent_too, no_retries) = [run_mail_task(kwargs) for kwargs in queued]
    assert (sent, len(retries), sent_too, no_retries) == (1, 1, 1, [])
    assert 0 <= _wait(retries[0]) <= 30
    # The first attempt failed and only it was retried: three attempts, two mails.
    assert FlakyBackend.attempts == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted([first.email, second.email])


@pytest.mark.django_db
def test_a_server_that_stays_down_is_retried_then_given_up(
    django_capture_on_commit_callbacks: Any, settings: SettingsWrapper
) -> None:
    settings.EMAIL_BACKEND = "tests.mail.DownBackend"
    DownBackend.attempts = 0
    user = UserFactory.create()
    with mail_tasks(run=False) as queued, django_capture_on_commit_callbacks(execute=True):
        _opened([user.pk])
    (kwargs,) = queued
    for attempt in range(MAIL_MAX_RETRIES):
        with pytest.raises(Retry) as retry:
            send_mail_task.apply(kwargs=kwargs, retries=attempt)
        assert isinstance(retry.value.exc, SMTPServerDisconnected)
        assert 0 <= _wait(retry.value) <= min(30 * 2**attempt, 3600)
    with pytest.raises(SMTPServerDisconnected):
        send_mail_task.apply(kwargs=kwargs, retries=MAIL_MAX_RETRIES)
    assert DownBackend.attempts == MAIL_MAX_RETRIES + 1
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_a_vote_is_saved_and_answered_while_the_mail_server_is_down(
    seat_holder: Client, seat_holder_user: User, settings: SettingsWrapper
) -> None:
    settings.EMAIL_BACKEND = "tests.mail.DownBackend"
    DownBackend.attempts = 0
    staff = UserFactory.create(is_staff=True)
    ballot = governance_services.ballot_create(
        kind=BallotKind.MOTION,
        title="Adopt the charter",
        closes_at=timezone.now() + timedelta(days=3),
        actor=staff,
    )
    with mail_tasks(run=False) as queued:
        governance_services.ballot_open(ballot=ballot, actor=staff, at=timezone.now())
        # Real commits: the callbacks run inside the request, as in production.
        response = seat_holder.post(
            f"/en/governance/portal/ballots/{ballot.pk}/", {"choice": "for"}
        )
    assert response.status_code == 302
    vote = Vote.objects.get(ballot=ballot)
    assert (vote.member, vote.choice) == (seat_holder_user, "for")
    assert [(k["template"], k["recipient"]) for k in queued] == [
        ("governance/email/ballot_opened", seat_holder_user.pk),
        ("governance/email/vote_receipt", seat_holder_user.pk),
    ]
    assert queued[1]["context"]["receipt"] == vote.receipt
    assert DownBackend.attempts == 0  # nothing was sent inside the request
    with pytest.raises(Retry):
        send_mail_task.apply(kwargs=queued[1])
    assert DownBackend.attempts == 1


def _change_iban(maintainer: Client, slug: str) -> Any:
    return maintainer.post(
        f"/en/projects/{slug}/payout-account/",
        {
            "holder_name": "Association Bob",
            "iban": "FR76 3000 6000 0112 3456 7890 189",
            "bic": "AGRIFRPP",
            "address": "1 rue de la Paix, 75002 Paris",
            "password": TEST_PASSWORD,
        },
    )


@pytest.mark.django_db(transaction=True)
def test_an_iban_change_is_saved_and_answered_while_the_mail_server_is_down(
    maintainer: Client, maintainer_user: User, settings: SettingsWrapper
) -> None:
    settings.EMAIL_BACKEND = "tests.mail.DownBackend"
    DownBackend.attempts = 0
    project = Maintainership.objects.get(user=maintainer_user).project
    with mail_tasks(run=False) as queued:
        response = _change_iban(maintainer, project.slug)
    assert response.status_code == 302
    assert PayoutAccount.objects.get(project=project).iban == "FR7630006000011234567890189"
    assert [(k["template"], k["recipient"]) for k in queued] == [
        ("projects/email/payout_account_changed", maintainer_user.pk)
    ]
    assert DownBackend.attempts == 0  # nothing was sent inside the request
    with pytest.raises(Retry):
        send_mail_task.apply(kwargs=queued[0])
    assert DownBackend.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_does_not_fail_the_saved_change(
    maintainer: Client, maintainer_user: User
) -> None:
    project = Maintainership.objects.get(user=maintainer_user).project

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with mock.patch.object(send_mail_task, "apply_async", broker_down):
        response = _change_iban(maintainer, project.slug)
    assert response.status_code == 302
    assert PayoutAccount.objects.get(project=project).iban == "FR7630006000011234567890189"


# --- The language we write in -------------------------------------------------


@pytest.mark.django_db
def test_the_language_read_is_recorded_once_when_it_changes(
    contributor: Client, contributor_user: User
) -> None:
    assert contributor_user.language == ""
    assert contributor.get("/contribute/me/").status_code == 200  # French: the default
    contributor_user.refresh_from_db()
    assert contributor_user.language == ""
    page = contributor.get("/en/contribute/me/")
    assert "The emails we send you are in: <strong>English</strong>" in page.text
    contributor_user.refresh_from_db()
    assert contributor_user.language == "en"
    with CaptureQueriesContext(connection) as queries:
        contributor.get("/en/contribute/me/")
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    # The API negotiates its language: it is no choice of the reader's.
    contributor.get("/api/v1/projects/", HTTP_ACCEPT_LANGUAGE="fr")
    contributor_user.refresh_from_db()
    assert contributor_user.language == "en"
    contributor.get("/contribute/me/")
    contributor_user.refresh_from_db()
    assert contributor_user.language == "fr"


@pytest.mark.django_db
def test_sign_up_keeps_the_language_of_the_page(anonymous: Client) -> None:
    response = anonymous.post(
        "/en/accounts/signup/",
        {
            "email": "newcomer@example.org",
            "display_name": "Newcomer",
            "password1": TEST_PASSWORD,
            "password2": TEST_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="newcomer@example.org").language == "en"


# Each "<app>/templates/<app>/email/<name>_subject.txt" as "<app>/email/<name>".
SUBJECT_TEMPLATES = sorted(
    path.relative_to(path.parents[2]).as_posix().removesuffix("_subject.txt")
    for path in Path(__file__).resolve().parents[2].glob("*/templates/*/email/*_subject.txt")
)


def test_the_subject_templates_are_found() -> None:
    assert len(SUBJECT_TEMPLATES) >= 15
    assert "governance/email/vote_receipt" in SUBJECT_TEMPLATES


@pytest.mark.parametrize("template", SUBJECT_TEMPLATES)
def test_every_subject_says_once_where_the_mail_comes_from(template: str) -> None:
    """As allauth's do: "[The Librery] ", written by `mail_render` alone (some
    templates used to write it themselves, others not at all)."""
    with translation.override("fr"):
        # The amounts a body shows (the subject alone is checked).
        amounts = {"amount_cents": 100, "net_cents": 100, "receipts": 1}
        subject, _ = mail_render(template=template, context=amounts, links={})
    assert subject.startswith("[The Librery] ")
    assert subject.count("The Librery") == 1


@pytest.mark.django_db
def test_a_vote_receipt_names_the_ballot_and_says_what_the_receipt_is_for(
    django_capture_on_commit_callbacks: Any,
) -> None:
    french = UserFactory.create(language="fr")
    receipt = "d699d48fb41880cc6a39a183cf8964d37482640f760831dfd4804c2cea28bbc7"
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        mail_enqueue(
            template="governance/email/vote_receipt",
            recipients=[french.pk],
            context={"title": "Adopt the charter", "receipt": receipt},
            links={"url": ("governance:ballot", [12])},
        )
    (message,) = mail.outbox
    assert message.subject == "[The Librery] Reçu de votre vote : Adopt the charter"
    assert message.body.startswith(
        f"Votre vote sur «\u00a0Adopt the charter\u00a0» est enregistré. Son reçu :\n{receipt}\n\n"
        "Vous pouvez voter à nouveau jusqu\u2019à la clôture du scrutin"
    )
    assert "le paquet publié donne chaque vote avec son sel" in message.body
    assert "\nhttp://127.0.0.1:8000/governance/portal/ballots/12/\n" in message.body
