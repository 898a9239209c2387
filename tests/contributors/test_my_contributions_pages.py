""" "My contributions": the payments and the receipts are paged, each on its own
parameter, and a page costs the same queries however long the history."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from contributors.models import User
from funds.enums import PaymentEventSource
from funds.services import payment_succeed
from tests.factories.contributors import EarmarkFactory, PledgeFactory
from tests.factories.funds import PaymentFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db,
    pytest.mark.usefixtures("online_payments"),
]
URL = "/en/contribute/mine/"
PAGE = 2
START = datetime(2026, 1, 5, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("contributors.views.PAYMENTS_PER_PAGE", PAGE)
    monkeypatch.setattr("contributors.views.RECEIPTS_PER_PAGE", PAGE)


def _months_paid(user: User, months: int, first: int = 0) -> list[tuple[int, int]]:
    """One paid pledge a month (a monthly pledge for years looks the same on
    this page): (pledge id, receipt id), oldest first."""
    person = user.contributors.get()
    paid = []
    for month in range(first, first + months):
        pledge = PledgeFactory.create(contributor=person, payment_method="card")
        EarmarkFactory.create(pledge=pledge)
        receipt = payment_succeed(
            payment=PaymentFactory.create(pledge=pledge),
            gross_cents=5000,
            processor_fee_cents=10,
            received_at=START + timedelta(days=31 * month),
            source=PaymentEventSource.SYSTEM,
        )
        paid.append((pledge.pk, receipt.pk))
    return paid


def _receipts(text: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/en/transparency/receipts/(\d+)/"', text)]


def _payments(text: str) -> list[int]:
    """The pledge numbers of the payments table's rows."""
    table = text.split('id="payments"', 1)[1].split("</table>", 1)[0]
    return [int(pk) for pk in re.findall(r"<td>#(\d+)</td>", table)]


def _queries(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_a_page_costs_the_same_queries_however_long_the_history(
    contributor: Client, contributor_user: User
) -> None:
    _months_paid(contributor_user, 3)
    contributor.get(URL)  # The first visit records the user's language.
    small, text = _queries(contributor, URL)
    assert len(_receipts(text)) == PAGE
    _months_paid(contributor_user, 6, first=3)
    large, text = _queries(contributor, URL)
    assert len(_receipts(text)) == PAGE
    assert len(_payments(text)) == PAGE
    assert large == small
    assert _queries(contributor, f"{URL}?receipts=5&payments=4")[0] == small


def test_page_two_shows_the_older_items_and_keeps_the_other_list(
    contributor: Client, contributor_user: User
) -> None:
    paid = _months_paid(contributor_user, 5)
    newest_first = paid[::-1]
    first = contributor.get(URL)
    assert _receipts(first.text) == [receipt for _, receipt in newest_first[:PAGE]]
    assert _payments(first.text) == [pledge for pledge, _ in newest_first[:PAGE]]
    assert 'href="?receipts=2#receipts-title"' in first.text
    assert 'href="?payments=2#payments-title"' in first.text
    # The receipts' page 2: older receipts; the payments stay on their page 1.
    second = contributor.get(f"{URL}?receipts=2")
    assert _receipts(second.text) == [receipt for _, receipt in newest_first[PAGE : 2 * PAGE]]
    assert _payments(second.text) == [pledge for pledge, _ in newest_first[:PAGE]]
    assert 'href="?receipts=2&amp;payments=2#payments-title"' in second.text
    # Then the payments' page 3 keeps the receipts on their page 2.
    both = contributor.get(f"{URL}?receipts=2&payments=3")
    assert _receipts(both.text) == _receipts(second.text)
    assert _payments(both.text) == [newest_first[-1][0]]
    assert 'href="?payments=3&amp;receipts=1#receipts-title"' in both.text
    assert 'href="?receipts=2&amp;payments=2#payments-title"' in both.text


def test_a_bad_page_number_gives_a_page_as_on_the_transparency_page(
    contributor: Client, contributor_user: User
) -> None:
    paid = _months_paid(contributor_user, 3)
    newest = [receipt for _, receipt in paid[::-1]]
    # Not a number: the first page; past the end: the last (Paginator.get_page).
    assert _receipts(contributor.get(f"{URL}?receipts=abc&payments=-1").text) == newest[:PAGE]
    assert _receipts(contributor.get(f"{URL}?receipts=99").text) == newest[PAGE:]
    assert len(_payments(contributor.get(f"{URL}?payments=x%00").text)) == PAGE


def test_a_payment_shows_when_it_was_recorded_and_its_receipt_when_the_money_came(
    contributor: Client, contributor_user: User
) -> None:
    """A bank transfer booked weeks after it arrived: the payments table says
    when the payment was recorded (its column says so), the receipts table the
    day the money came; "Date" alone read as the day the person paid."""
    _months_paid(contributor_user, 1)  # received on 5 January 2026, recorded today
    text = contributor.get(URL).text
    payments = text.split('id="payments"', 1)[1].split("</table>", 1)[0]
    receipts = text.split('id="receipts"', 1)[1].split("</table>", 1)[0]
    assert '<th scope="col">Recorded on</th>' in payments
    assert "Jan. 5, 2026" not in payments  # today's date, not the money's
    assert '<th scope="col">Received</th>' in receipts
    assert "Jan. 5, 2026" in receipts
    french = contributor.get("/contribute/mine/").text
    assert '<th scope="col">Enregistré le</th>' in french.split('id="payments"', 1)[1]
