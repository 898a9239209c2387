"""PDF documents of the fund, drawn with reportlab (pure Python): payment
requests for bank transfers and receipt attestations."""

from __future__ import annotations

from io import BytesIO

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from funds.models import PaymentRequest, Receipt
from funds.money import format_money


def _drawable(text: str) -> str:
    """Helvetica (WinAnsi) has no narrow no-break space, which babel puts in
    French amounts ("1 234,56 €"): reportlab would draw a ZapfDingbats square
    instead, so the PDF gets a no-break space."""
    return text.replace("\u202f", "\u00a0")


def _draw_lines(canvas: Canvas, lines: list[tuple[str, str]], top: float) -> float:
    y = top
    for label, value in lines:
        canvas.setFont("Helvetica-Bold", 10)
        canvas.drawString(20 * mm, y, _drawable(label))
        canvas.setFont("Helvetica", 10)
        for part in value.splitlines() or [""]:
            canvas.drawString(75 * mm, y, _drawable(part))
            y -= 5.5 * mm
        y -= 1.5 * mm
    return y


def _document(title: str, subject: str, lines: list[tuple[str, str]], footer: str) -> bytes:
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    canvas.setTitle(title)
    canvas.setSubject(subject)
    canvas.setAuthor(settings.FUND_NAME)
    _width, height = A4
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(20 * mm, height - 25 * mm, settings.FUND_NAME)
    canvas.setFont("Helvetica-Bold", 13)
    canvas.drawString(20 * mm, height - 38 * mm, _drawable(title))
    _draw_lines(canvas, lines, height - 52 * mm)
    canvas.setFont("Helvetica-Oblique", 8)
    canvas.drawString(20 * mm, 15 * mm, _drawable(footer))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def payment_request_pdf(request: PaymentRequest) -> bytes:
    """The payment request: who pays what, to which account, with which reference."""
    contributor = request.pledge.contributor
    payer = contributor.legal_name or contributor.name
    if contributor.billing_address:
        payer += "\n" + contributor.billing_address
    lines = [
        (_("Number"), request.number),
        (_("Issued on"), formats.date_format(timezone.localtime(request.issued_at), "DATE_FORMAT")),
        (_("Payer"), payer),
        (_("Amount"), format_money(request.amount_cents, request.currency)),
        (_("Account holder"), settings.FUND_NAME),
        (_("IBAN"), settings.FUND_IBAN),
        (_("BIC"), settings.FUND_BIC),
        (_("Payment reference"), request.reference),
        (_("Pledge"), f"#{request.pledge_id}"),
    ]
    if contributor.siren_siret:
        lines.insert(3, (_("SIREN/SIRET"), contributor.siren_siret))
    return _document(
        _("Payment request %(number)s") % {"number": request.number},
        request.reference,
        lines,
        _("Quote the payment reference exactly so that your transfer is matched."),
    )


def receipt_pdf(receipt: Receipt, language: str) -> bytes:
    """An attestation that the fund received (or, negative, returned) the money."""
    with translation.override(language):
        contributor = receipt.contributor
        lines = [
            (_("Receipt"), f"#{receipt.pk}"),
            (_("Contributor"), contributor.legal_name or contributor.name),
            (
                _("Received on"),
                formats.date_format(timezone.localtime(receipt.received_at), "DATE_FORMAT"),
            ),
            (_("Gross amount"), format_money(receipt.gross_cents, receipt.currency)),
            (_("Processor fee"), format_money(receipt.processor_fee_cents, receipt.currency)),
            (_("Net amount"), format_money(receipt.net_cents, receipt.currency)),
            (_("Pledge"), f"#{receipt.pledge_id}"),
        ]
        if receipt.reverses_id is not None:
            lines.append((_("Reverses receipt"), f"#{receipt.reverses_id}"))
        return _document(
            _("Attestation of contribution"),
            f"receipt-{receipt.pk}",
            lines,
            _("This attestation is not a tax receipt."),
        )
