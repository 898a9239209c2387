"""Issue 14, items 2, 4 and 13 without a browser: a pledge by card goes straight
to its payment; the pages recap the earmarks in money; the change form carries
the live preview; words with two meanings and counts read right in French."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import timezone, translation

from contributors.models import User
from contributors.selectors import EarmarkSplit, pledge_split
from funds.services import payment_request_issue
from governance import services as governance_services
from tests.contributors.pledge_form import pledge_form_data
from tests.factories import ProjectFactory, UserFactory
from tests.factories.contributors import PledgeFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_the_split_floors_each_earmark_and_gives_the_rest_to_the_pool() -> None:
    alpha = ProjectFactory.create(status="admitted", name="Alpha")
    beta = ProjectFactory.create(status="admitted", name="Beta")
    pledge = PledgeFactory.create(amount_cents=3_333)
    pledge.earmarks.create(project=alpha, share_bp=3_000)
    pledge.earmarks.create(project=beta, share_bp=1_250)
    split = pledge_split(pledge)
    # 999.9 and 416.625 cents, floored; the pool takes the rest: 3333 - 999 - 416.
    assert split.earmarks == [
        EarmarkSplit(name="Alpha", share_bp=3_000, cents=999),
        EarmarkSplit(name="Beta", share_bp=1_250, cents=416),
    ]
    assert split.pool_cents == 1_918


@pytest.mark.usefixtures("online_payments")
def test_a_pledge_by_card_goes_straight_to_its_payment(contributor: Client) -> None:
    response = contributor.post("/en/contribute/pledge/", pledge_form_data())
    assert response.status_code == 302
    assert response["Location"].startswith("/en/funds/pledges/")
    assert response["Location"].endswith("/pay/")
    transfer = contributor.post(
        "/en/contribute/pledge/", pledge_form_data(payment_method="bank_transfer")
    )
    assert "/en/contribute/pledges/" in transfer["Location"]


def test_a_payment_request_recaps_the_earmarks_in_money(
    contributor: Client, contributor_user: User
) -> None:
    project = ProjectFactory.create(status="admitted", name="Inkscape")
    pledge = PledgeFactory.create(
        contributor=contributor_user.contributors.get(),
        amount_cents=123_456,
        payment_method="bank_transfer",
    )
    pledge.earmarks.create(project=project, share_bp=2_500)
    payment_request_issue(pledge=pledge)
    french = contributor.get(f"/contribute/pledges/{pledge.pk}/").content.decode()
    assert '<th scope="row">Inkscape</th><td class="align-right">25\u00a0%</td>' in french
    assert "308,64\u00a0€" in french  # a quarter of 1 234,56 €, floored
    assert "925,92\u00a0€" in french  # the common pool


def test_the_change_form_carries_the_live_preview(
    contributor: Client, contributor_user: User
) -> None:
    pledge = PledgeFactory.create(
        contributor=contributor_user.contributors.get(), frequency="monthly", status="active"
    )
    page = contributor.get(f"/en/contribute/pledges/{pledge.pk}/").content.decode()
    assert 'id="pledge-amend-form" data-cap-bp="5000"' in page
    assert 'id="pledge-preview-rows"' in page
    assert 'class="earmark-row"' in page
    assert "js/contributors-pledge.js" in page


def test_words_with_two_meanings_read_right_in_french(
    anonymous: Client, contributor: Client, contributor_user: User
) -> None:
    """ "Pledge" the verb on the home page, not the noun; a cancelled pledge is
    "Annulé" and its cancelled payment request "Annulée"."""
    home = anonymous.get("/").content.decode()
    assert "<strong>Engagez-vous</strong>" in home
    pledge = PledgeFactory.create(
        contributor=contributor_user.contributors.get(), payment_method="bank_transfer"
    )
    payment_request_issue(pledge=pledge)
    contributor.post(f"/contribute/pledges/{pledge.pk}/cancel/", {"confirm": "yes"})
    page = contributor.get(f"/contribute/pledges/{pledge.pk}/").content.decode()
    assert 'id="pledge-status">Annulé</span>' in page
    assert "· Annulée</dd>" in page


def test_a_fund_setting_motion_reads_in_french(seat_holder: Client, seat_holder_user: User) -> None:
    """ "Modifier un paramètre du fonds : Engagement maximum passe à 1 000 000,00 €"
    (narrow no-break space before the colon), not "pledge_max_cents = 100000000"."""
    staff = UserFactory.create(is_staff=True)
    ballot = governance_services.ballot_create(
        kind="motion",
        title="Raise the maximum",
        closes_at=timezone.now() + timedelta(days=2),
        actor=staff,
        majority="qualified",
        effect="fund_setting",
        effect_setting_key="pledge_max_cents",
        effect_value=100_000_000,
    )
    governance_services.ballot_open(ballot=ballot, actor=staff, at=timezone.now())
    page = seat_holder.get(f"/governance/portal/ballots/{ballot.pk}/").content.decode()
    assert (
        "Modifier un paramètre du fonds\u202f: Engagement maximum passe à "
        "1\u202f000\u202f000,00\u00a0€" in page
    )
    assert "pledge_max_cents" not in page


@pytest.mark.parametrize(
    ("source", "text"),
    [
        (
            '{% blocktranslate with label="Qgis" value="3 €" %}{{ label }}: {{ value }}'
            "{% endblocktranslate %}",
            "Qgis\u202f: 3 €",
        ),
        (
            '{% blocktranslate with source="Pot commun" target="VLC" value="3 €" %}'
            "{{ source }} → {{ target }}: {{ value }}{% endblocktranslate %}",
            "Pot commun → VLC\u202f: 3 €",
        ),
        (
            '{% with year=2026 name="Camille" %}{% blocktranslate %}{{ year }} · {{ name }}:'
            "{% endblocktranslate %}{% endwith %}",
            "2026 · Camille\u202f:",
        ),
    ],
)
def test_a_label_and_its_value_take_a_narrow_space_before_the_colon_in_french(
    source: str, text: str
) -> None:
    """The flow diagram's titles and the yearly statements' line (issue 14 item 13)."""
    with translation.override("fr"):
        assert Template("{% load i18n %}" + source).render(Context()) == text
