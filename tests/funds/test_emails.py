from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core import mail

from funds.enums import PaymentEventSource
from funds.services import payment_email_enqueue, payment_succeed, payment_transition
from tests.factories import ContributorFactory, UserFactory
from tests.factories.contributors import MembershipFactory, OrganisationFactory, PledgeFactory
from tests.factories.funds import PaymentFactory
from tests.mail import mail_tasks

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_success_enqueues_one_email_after_commit(django_capture_on_commit_callbacks: Any) -> None:
    payment = PaymentFactory.create(amount_cents=5000)
    with mail_tasks() as queued:
        with django_capture_on_commit_callbacks() as callbacks:
            payment_succeed(
                payment=payment,
                gross_cents=5000,
                processor_fee_cents=0,
                received_at=datetime(2026, 3, 1, tzinfo=UTC),
                source=PaymentEventSource.SYSTEM,
            )
        assert (len(callbacks), queued, mail.outbox) == (1, [], [])
        callbacks[0]()
        assert len(queued) == 1
        assert mail.outbox == []
    (message,) = mail.outbox
    user = payment.pledge.contributor.user
    assert user is not None
    assert message.to == [user.email]
    assert message.subject == "[The Librery] Merci : nous avons reçu 50,00\u00a0€"


def test_failure_email_names_the_reason(django_capture_on_commit_callbacks: Any) -> None:
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        payment_transition(
            payment=PaymentFactory.create(),
            to_status="failed",
            source="stripe_webhook",
            failure_message="Your card was declined.",
        )
    (message,) = mail.outbox
    assert "\nYour card was declined.\n" in message.body


def test_organisation_emails_reach_every_member_in_their_language(
    django_capture_on_commit_callbacks: Any,
) -> None:
    organisation = OrganisationFactory.create(
        name="L'équipe & co", user=UserFactory.create(language="fr")
    )
    member = MembershipFactory.create(
        contributor=organisation, user=UserFactory.create(language="en")
    )
    payment = PaymentFactory.create(
        pledge=PledgeFactory.create(contributor=organisation), amount_cents=2550
    )
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        payment_email_enqueue(payment=payment, kind="renewal_problem")
    assert organisation.user is not None
    by_address = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_address) == sorted([organisation.user.email, member.user.email])
    french, english = by_address[organisation.user.email], by_address[member.user.email]
    assert french.subject == "[The Librery] Votre engagement mensuel requiert votre attention"
    assert french.body.startswith(
        "Bonjour L'équipe & co,\n\nNous n\u2019avons pas pu prélever les 25,50\u00a0€ de ce mois"
    )
    assert english.subject == "[The Librery] Your monthly pledge needs your attention"
    assert english.body.startswith(
        "Hello L'équipe & co,\n\nWe could not collect this month's €25.50 for your monthly pledge."
    )
    assert "\nhttp://127.0.0.1:8000/en/contribute/mine/\n" in english.body


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown payment email 'spam'"):
        payment_email_enqueue(payment=PaymentFactory.create(), kind="spam")


def test_no_address_no_email(django_capture_on_commit_callbacks: Any) -> None:
    payment = PaymentFactory.create(
        pledge=PledgeFactory.create(contributor=ContributorFactory.create(user=None))
    )
    with mail_tasks() as queued, django_capture_on_commit_callbacks(execute=True) as callbacks:
        payment_email_enqueue(payment=payment, kind="succeeded")
    assert (callbacks, queued, mail.outbox) == ([], [], [])
