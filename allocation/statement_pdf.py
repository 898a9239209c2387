"""A contributor's yearly statement as a PDF (reportlab's platypus), in French
or English: their receipts of the year, then where that money went (the fee,
each project through earmarks and through the pool's rounds, what the pool
still holds, what waits for the monthly allocation)."""

from __future__ import annotations

from io import BytesIO

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
from reportlab.platypus.flowables import Flowable

from allocation.report_pdf import _styles, _table, _text
from allocation.selectors_statement import Statement
from funds.money import format_money


def _receipts(statement: Statement, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    head = [_("Received on"), _("Gross"), _("Processor fee"), _("Net")]
    rows: list[list[Flowable]] = [[Paragraph(_text(h), styles["head"]) for h in head]]
    for receipt in statement.receipts:
        when = formats.date_format(timezone.localtime(receipt.received_at), "DATE_FORMAT")
        rows.append(
            [
                Paragraph(_text(when), styles["cell"]),
                *(
                    Paragraph(_text(format_money(cents)), styles["amount"])
                    for cents in (
                        receipt.gross_cents,
                        receipt.processor_fee_cents,
                        receipt.net_cents,
                    )
                ),
            ]
        )
    return [_table(rows, [70 * mm, 33 * mm, 33 * mm, 33 * mm])]


def _where(statement: Statement, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    head = [_("Project"), _("Earmarked"), _("From the pool"), _("Total")]
    rows: list[list[Flowable]] = [[Paragraph(_text(h), styles["head"]) for h in head]]
    rows.extend(
        [
            Paragraph(_text(share.name), styles["cell"]),
            *(
                Paragraph(_text(format_money(cents)), styles["amount"])
                for cents in (share.earmarked_cents, share.pool_cents, share.total_cents)
            ),
        ]
        for share in statement.projects
    )
    for label, cents in (
        (_("Management fee"), statement.fee_cents),
        (_("Still in the common pool"), statement.pool_kept_cents),
        (_("Waiting for the monthly allocation"), statement.unallocated_cents),
    ):
        rows.append(
            [
                Paragraph(_text(label), styles["cell"]),
                Paragraph("", styles["cell"]),
                Paragraph("", styles["cell"]),
                Paragraph(_text(format_money(cents)), styles["amount"]),
            ]
        )
    return [_table(rows, [70 * mm, 33 * mm, 33 * mm, 33 * mm])]


def statement_pdf(statement: Statement, language: str) -> bytes:
    with translation.override(language):
        styles = _styles()
        contributor = statement.contributor
        title = _("Contributions of %(year)s and where they went") % {"year": statement.year}
        story: list[Flowable] = [
            Paragraph(_text(settings.FUND_NAME), styles["body"]),
            Paragraph(_text(title), styles["title"]),
            Paragraph(_text(contributor.legal_name or contributor.name), styles["body"]),
            Paragraph(
                _text(
                    _("Received in %(year)s, net of processor fees: %(amount)s")
                    % {"year": statement.year, "amount": format_money(statement.net_cents)}
                ),
                styles["body"],
            ),
            Spacer(1, 4 * mm),
            Paragraph(_text(_("Your payments")), styles["h2"]),
            *_receipts(statement, styles),
            Spacer(1, 4 * mm),
            Paragraph(_text(_("Where they went")), styles["h2"]),
            *_where(statement, styles),
            Spacer(1, 4 * mm),
            Paragraph(
                _text(
                    _(
                        "Each month's run rounds to the cent once per project over all "
                        "the month's payments, by largest remainder. These amounts are "
                        "your payments' exact shares, rounded to the cent. This statement "
                        "is not a tax receipt."
                    )
                ),
                styles["body"],
            ),
        ]
        buffer = BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            title=title,
            author=settings.FUND_NAME,
            invariant=True,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
        )
        document.build(story)
        return buffer.getvalue()
