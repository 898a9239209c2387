"""The PDF documents name a company payer in full and say which receipt a
reversal reverses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from funds import documents
from funds.enums import PaymentEventSource, RefundKind
from funds.services import payment_request_issue, payment_succeed, refund_record, refund_succeed
from tests.factories import ContributorFactory
from tests.factories.contributors import PledgeFactory
from tests.factories.funds import PaymentFactory
from tests.funds.test_money import _pdf_text

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def test_a_company_payment_request_names_its_address_and_siret() -> None:
    company = ContributorFactory.create(
        name="Acme",
        legal_name="Acme SAS",
        billing_address="1 rue de la Paix, 75002 Paris",
        siren_siret="73282932000074",
    )
    pledge = PledgeFactory.create(
        contributor=company, amount_cents=10_000, payment_method="bank_transfer"
    )
    text = _pdf_text(documents.payment_request_pdf(payment_request_issue(pledge=pledge)))
    assert text[text.index("SIREN/SIRET") + 1] == "73282932000074"
    assert ("Acme SAS" in text, "1 rue de la Paix, 75002 Paris" in text) == (True, True)


def test_a_reversal_receipt_names_the_receipt_it_reverses() -> None:
    pledge = PledgeFactory.create(amount_cents=5_000)
    original = payment_succeed(
        payment=PaymentFactory.create(pledge=pledge, amount_cents=5_000),
        gross_cents=5_000,
        processor_fee_cents=0,
        received_at=AT,
        source=PaymentEventSource.SYSTEM,
    )
    refund = refund_record(payment=original.payment, kind=RefundKind.REFUND, amount_cents=5_000)
    reversal = refund_succeed(refund=refund, received_at=AT)
    text = _pdf_text(documents.receipt_pdf(reversal, "en"))
    assert text[text.index("Reverses receipt") + 1] == f"#{original.pk}"
    assert "Reverses receipt" not in _pdf_text(documents.receipt_pdf(original, "en"))
