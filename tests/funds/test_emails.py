from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core import mail

from funds.emails import payment_email_send
from funds.enums import PaymentEventSource
from funds.services import payment_succeed, payment_transition
from funds.tasks import send_payment_email
from tests.factories import ContributorFactory
from tests.factories.contributors import MembershipFactory, OrganisationFactory, PledgeFactory
from tests.factories.funds import PaymentFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_success_enqueues_one_email_after_commit(django_capture_on_commit_callbacks: Any) -> None:
    payment = PaymentFactory.create()
    with django_capture_on_commit_callbacks() as callbacks:
        payment_succeed(
            payment=payment,
            gross_cents=5000,
            processor_fee_cents=0,
            received_at=datetime(2026, 3, 1, tzinfo=UTC),
            source=PaymentEventSource.SYSTEM,
        )
    assert len(callbacks) == 1
    assert send_payment_email(payment_id=payment.pk, kind="succeeded") == 1
    (message,) = mail.outbox
    user = payment.pledge.contributor.user
    assert user is not None
    assert message.to == [user.email]
    assert "50,00" in message.subject


def test_failure_email_names_the_reason() -> None:
    payment = payment_transition(
        payment=PaymentFactory.create(),
        to_status="failed",
        source="stripe_webhook",
        failure_message="Your card was declined.",
    )
    assert payment_email_send(payment=payment, kind="failed") == 1
    assert "Your card was declined." in mail.outbox[0].body


def test_organisation_emails_reach_every_member_and_unknown_kind_is_refused() -> None:
    organisation = OrganisationFactory.create()
    member = MembershipFactory.create(contributor=organisation)
    payment = PaymentFactory.create(pledge=PledgeFactory.create(contributor=organisation))
    assert payment_email_send(payment=payment, kind="renewal_problem") == 1
    assert organisation.user is not None
    assert sorted(mail.outbox[0].to) == sorted([organisation.user.email, member.user.email])
    with pytest.raises(ValueError, match="Unknown payment email"):
        payment_email_send(payment=payment, kind="spam")


def test_no_address_no_email() -> None:
    payment = PaymentFactory.create(
        pledge=PledgeFactory.create(contributor=ContributorFactory.create(user=None))
    )
    assert payment_email_send(payment=payment, kind="succeeded") == 0
