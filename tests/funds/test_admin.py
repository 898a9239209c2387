"""The funds admin shows the books read-only: a journal's legs and a payment's
events are listed on their page, and no line can be added there."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from funds.enums import PaymentStatus
from funds.models import Journal, JournalLeg, PaymentEvent
from tests.factories import ProjectFactory
from tests.factories.funds import PaymentEventFactory
from tests.ledger import allocate

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_a_journal_page_lists_its_legs_and_adds_none(administrator: Client) -> None:
    allocate("alloc-admin", datetime(2026, 3, 1, tzinfo=UTC), (ProjectFactory.create(), 4321))
    journal = Journal.objects.get(external_id="alloc-admin")
    page = administrator.get(f"/en/admin/funds/journal/{journal.pk}/change/")
    assert page.status_code == 200
    (legs,) = page.context["inline_admin_formsets"]
    assert (legs.formset.total_form_count(), legs.has_add_permission) == (2, False)
    assert ("4321" in page.text, "-4321" in page.text) == (True, True)
    assert JournalLeg.objects.filter(journal=journal).count() == 2


def test_a_payment_page_lists_its_events_and_adds_none(administrator: Client) -> None:
    event = PaymentEventFactory.create(status=PaymentStatus.CREATED, stripe_event_id="evt_seen")
    page = administrator.get(f"/en/admin/funds/payment/{event.payment_id}/change/")
    assert page.status_code == 200
    (events,) = page.context["inline_admin_formsets"]
    assert (events.formset.total_form_count(), events.has_add_permission) == (1, False)
    assert "evt_seen" in page.text
    assert PaymentEvent.objects.filter(payment_id=event.payment_id).count() == 1
