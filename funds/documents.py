"""PDF documents of the fund, drawn with reportlab (pure Python): payment
requests for bank transfers and receipt attestations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import BytesIO

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from funds.epc import draw_qr, epc_payload, group_iban
from funds.models import PaymentRequest, Receipt
from funds.money import format_money, format_percent_bp

# A payment request is due this many days after it is issued.
PAYMENT_DUE_DAYS = 30
# The width of a value's column: longer lines wrap.
VALUE_WIDTH = 115 * mm


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
        for line in value.splitlines() or [""]:
            for part in simpleSplit(_drawable(line), "Helvetica", 10, VALUE_WIDTH) or [""]:
                canvas.drawString(75 * mm, y, part)
                y -= 5.5 * mm
        y -= 1.5 * mm
    return y


def _document(
    title: str,
    subject: str,
    lines: list[tuple[str, str]],
    footer: str,
    below: Callable[[Canvas, float], None] | None = None,
) -> bytes:
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
    bottom = _draw_lines(canvas, lines, height - 52 * mm)
    if below is not None:
        below(canvas, bottom)
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
        (
            _("Due by"),
            formats.date_format(
                timezone.localtime(request.issued_at) + timedelta(days=PAYMENT_DUE_DAYS),
                "DATE_FORMAT",
            ),
        ),
        (_("Payer"), payer),
        (_("Amount"), format_money(request.amount_cents, request.currency)),
        (_("Account holder"), settings.FUND_NAME),
        (_("IBAN"), group_iban(settings.FUND_IBAN)),
        (_("BIC"), settings.FUND_BIC),
        (_("Payment reference"), request.reference),
        (_("Pledge"), f"#{request.pledge_id}"),
    ]
    if contributor.siren_siret:
        lines.insert(4, (_("SIREN/SIRET"), contributor.siren_siret))
    payload = epc_payload(
        name=settings.FUND_NAME,
        iban=settings.FUND_IBAN,
        bic=settings.FUND_BIC,
        amount_cents=request.remaining_cents,
        reference=request.reference,
    )

    def qr_code(canvas: Canvas, bottom: float) -> None:
        if payload is None:
            return
        size = 40 * mm
        draw_qr(canvas, payload, x=20 * mm, y=bottom - size, size=size)
        canvas.setFont("Helvetica", 9)
        canvas.drawString(
            65 * mm,
            bottom - size / 2,
            _drawable(_("Scan this code with your bank app to fill in the transfer.")),
        )

    return _document(
        _("Payment request %(number)s") % {"number": request.number},
        request.reference,
        lines,
        _("Quote the payment reference exactly so that your transfer is matched."),
        below=qr_code,
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
        earmarks = [
            f"{line.project.name} ({format_percent_bp(line.share_bp, locale=language)})"
            for line in receipt.earmark_lines.select_related("project").order_by(
                "project__name", "project_id"
            )
        ]
        lines.append((_("Earmarks"), ", ".join(earmarks) or _("All to the common pool")))
        return _document(
            _("Attestation of contribution"),
            f"receipt-{receipt.pk}",
            lines,
            _("This attestation is not a tax receipt."),
        )
