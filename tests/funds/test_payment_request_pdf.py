"""Issue 14, items 5 and 4 (part): a payment request's PDF gives the IBAN by groups of four,
a due date and an EPC QR code (SEPA credit transfer) a bank app can read; long
lines wrap."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import qrcode
from django.test import Client
from django.utils import translation

from contributors.models import User
from funds import documents
from funds.enums import PaymentEventSource
from funds.epc import EPC_MAX_CENTS, draw_qr, epc_payload, group_iban
from funds.services import payment_request_issue, payment_succeed
from tests.factories.contributors import EarmarkFactory, PledgeFactory
from tests.factories.funds import PaymentFactory
from tests.funds.test_money import _pdf_text

AT = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


def test_the_iban_is_grouped_by_four() -> None:
    assert group_iban("fr7699999000010000000012337") == "FR76 9999 9000 0100 0000 0012 337"
    assert group_iban("FR76 9999 9000 0100 0000 0012 337") == "FR76 9999 9000 0100 0000 0012 337"


def test_the_epc_payload_follows_the_standard() -> None:
    payload = epc_payload(
        name="The Librery",
        iban="FR76 9999 9000 0100 0000 0012 337",
        bic="LIBRFRP1XXX",
        amount_cents=2_400_000,
        reference="RF08LIB2026000001",
    )
    assert payload == (
        "BCD\n002\n1\nSCT\nLIBRFRP1XXX\nThe Librery\nFR7699999000010000000012337\n"
        "EUR24000.00\n\nRF08LIB2026000001\n"
    )
    assert epc_payload(name="x" * 80, iban="FR76", bic="B", amount_cents=1, reference="R") == (
        "BCD\n002\n1\nSCT\nB\n" + "x" * 70 + "\nFR76\nEUR0.01\n\nR\n"
    )
    for beyond in (0, EPC_MAX_CENTS + 1):
        assert epc_payload(name="n", iban="i", bic="b", amount_cents=beyond, reference="r") is None


def test_the_qr_code_drawn_is_the_payload(monkeypatch: pytest.MonkeyPatch) -> None:
    """The squares drawn are the dark modules of the payload's QR code."""
    payload = "BCD\n002\n1\nSCT\nB\nN\nFR76\nEUR1.00\n\nR\n"
    squares: list[tuple[float, float, float, float]] = []

    class FakeCanvas:
        def saveState(self) -> None: ...  # noqa: N802 -- reportlab's name
        def restoreState(self) -> None: ...  # noqa: N802 -- reportlab's name
        def setFillColorRGB(self, *args: Any) -> None: ...  # noqa: N802 -- reportlab's name

        def rect(self, x: float, y: float, w: float, h: float, **kwargs: Any) -> None:
            squares.append((x, y, w, h))

    draw_qr(FakeCanvas(), payload, x=0, y=0, size=100)  # type: ignore[arg-type]
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(payload.encode())
    code.make(fit=True)
    matrix = code.get_matrix()
    assert len(squares) == sum(sum(row) for row in matrix)
    cell = 100 / len(matrix)
    assert squares[0][2] == pytest.approx(cell)


@pytest.mark.integration
@pytest.mark.django_db
def test_the_payment_request_pdf(settings: Any) -> None:
    settings.FUND_IBAN = "FR7699999000010000000012337"
    pledge = PledgeFactory.create(
        amount_cents=500_000,
        payment_method="bank_transfer",
        contributor__legal_name="Association pour la promotion et la défense du logiciel libre "
        "dans les collectivités territoriales et les établissements publics",
    )
    request = payment_request_issue(pledge=pledge, at=AT)
    with translation.override("fr"):
        pdf = documents.payment_request_pdf(request)
    text = _pdf_text(pdf)
    assert text[text.index("IBAN") + 1] == "FR76 9999 9000 0100 0000 0012 337"
    assert text[text.index("Échéance") + 1] == "1 avril 2026"
    assert text[text.index("Montant") + 1].split() == ["5", "000,00", "€"]
    payer = text[text.index("Payeur") + 1 : text.index("Payeur") + 3]
    assert payer[0].startswith("Association pour la promotion")
    assert "établissements publics" in payer[1]  # the long name wraps onto a second line
    assert (
        "Scannez ce code avec l\u2019application de votre banque pour remplir le virement." in text
    )
    with translation.override("en"):
        english = _pdf_text(documents.payment_request_pdf(request))
    assert english[english.index("Due by") + 1] == "April 1, 2026"
    assert english[english.index("Amount") + 1] == "€5,000.00"
    # Paid in full: nothing left to pay, no code.
    request.received_cents = request.amount_cents
    with translation.override("en"):
        paid = _pdf_text(documents.payment_request_pdf(request))
    assert "Scan this code with your bank app to fill in the transfer." not in paid
    assert settings.FUND_NAME


@pytest.mark.integration
@pytest.mark.django_db
def test_the_attestation_lists_the_earmarks_and_a_pledge_its_next_charge(
    contributor: Client, contributor_user: User
) -> None:
    """Item 4 (part): the attestation gives the earmarks of the money received;
    a monthly pledge's page gives its next charge date."""
    pledge = PledgeFactory.create(
        contributor=contributor_user.contributors.get(),
        amount_cents=10_000,
        frequency="monthly",
        status="active",
        next_charge_date=date(2026, 4, 5),
    )
    EarmarkFactory.create(pledge=pledge, project__name="Zeta", share_bp=1250)
    EarmarkFactory.create(pledge=pledge, project__name="Alpha", share_bp=2500)
    receipt = payment_succeed(
        payment=PaymentFactory.create(pledge=pledge, amount_cents=10_000),
        gross_cents=10_000,
        processor_fee_cents=0,
        received_at=pledge.created_at,
        source=PaymentEventSource.SYSTEM,
    )
    english = _pdf_text(documents.receipt_pdf(receipt, "en"))
    assert english[english.index("Earmarks") + 1] == "Alpha (25 %), Zeta (12.5 %)"
    french = _pdf_text(documents.receipt_pdf(receipt, "fr"))
    assert french[french.index("Affectations") + 1] == "Alpha (25 %), Zeta (12,5 %)"
    pool_only = PledgeFactory.create(contributor=pledge.contributor, amount_cents=5_000)
    plain = payment_succeed(
        payment=PaymentFactory.create(pledge=pool_only, amount_cents=5_000),
        gross_cents=5_000,
        processor_fee_cents=0,
        received_at=pool_only.created_at,
        source=PaymentEventSource.SYSTEM,
    )
    text = _pdf_text(documents.receipt_pdf(plain, "en"))
    assert text[text.index("Earmarks") + 1] == "All to the common pool"
    page = contributor.get(f"/en/contribute/pledges/{pledge.pk}/").content.decode()
    assert '<dt>Next charge</dt><dd id="next-charge">April 5, 2026</dd>' in page
    assert (
        'id="next-charge"'
        not in contributor.get(f"/en/contribute/pledges/{pool_only.pk}/").content.decode()
    )
