"""The transparency page says what a payout is: one in a batch but still pending
(not sent to the bank yet) is ordered, not made nor on its way to the bank, in
the figures, in the monthly table, in English and in French."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from allocation.enums import PayoutStatus
from allocation.services import payout_batch_create
from funds.money import format_money
from tests.allocation.disbursement import approve, computed_month, make_admin

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

NBSP, NNBSP = "\u00a0", "\u202f"


def test_a_pending_payout_is_shown_as_ordered_not_as_paid(anonymous: Client) -> None:
    month = computed_month()
    approve(make_admin("Ada Admin", "ada@example.org"), month.run)
    approve(make_admin("Bob Admin", "bob@example.org"), month.run)
    batch = payout_batch_create(run=month.run, via="test")
    payouts = list(batch.payouts.all())
    assert payouts
    assert {payout.status for payout in payouts} == {PayoutStatus.PENDING}
    pending = sum(payout.amount_cents for payout in payouts)
    cache.clear()

    english = anonymous.get("/en/transparency/").text
    ordered = format_money(pending, locale="en")
    assert f"<dt>Payouts ordered</dt><dd>{ordered}</dd>" in english
    assert (
        '<th scope="row">Payouts ordered, not yet confirmed by the bank</th>'
        f'<td class="align-right nowrap">{ordered}</td>'
    ) in english
    assert (
        '<th scope="row">Paid out to projects</th>'
        f'<td class="align-right nowrap">{format_money(0, locale="en")}</td>'
    ) in english
    assert '<th scope="col" class="align-right">Payouts ordered</th>' in english
    assert f'data-label="Payouts ordered">{ordered}</td>' in english
    assert "Payouts made" not in english
    assert "sent to the bank" not in english

    french = anonymous.get("/transparency/").text
    ordonnes = format_money(pending, locale="fr")
    assert NNBSP in ordonnes or NBSP in ordonnes
    assert f"<dt>Versements ordonnés</dt><dd>{ordonnes}</dd>" in french
    assert (
        '<th scope="row">Versements ordonnés, pas encore confirmés par la banque</th>'
        f'<td class="align-right nowrap">{ordonnes}</td>'
    ) in french
    assert f'data-label="Versements ordonnés">{ordonnes}</td>' in french
    assert "Versements effectués" not in french
    assert "transmis à la banque" not in french
