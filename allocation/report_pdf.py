"""The disbursement report as a printable PDF (reportlab's platypus): totals
first, then one row per project in a real table whose long names wrap, the
approvals, and the content hash on every page. Amounts through the shared
money formatting, in the language asked for."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from allocation.models import Approval
from allocation.services.reports import Report
from funds.money import format_money


def _text(value: str) -> str:
    """Escaped for platypus' mark-up, with the no-break space Helvetica has
    (babel's French amounts use a narrow one it lacks)."""
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\u202f", "\u00a0")


def flag_labels() -> dict[str, str]:
    return {
        "account_missing": _("no payout account"),
        "account_unverified": _("payout account not verified"),
        "below_threshold": _("below the payout threshold"),
        "not_admitted": _("project not admitted (held)"),
        "maintained_by_administrator": _("maintained by an administrator"),
        "balance_changed_since_run": _("balance changed since the run"),
    }


def _styles() -> dict[str, ParagraphStyle]:
    sheet = getSampleStyleSheet()
    cell = ParagraphStyle("cell", parent=sheet["BodyText"], fontSize=8, leading=10)
    return {
        "title": ParagraphStyle("title", parent=sheet["Title"]),
        "h2": ParagraphStyle("h2", parent=sheet["Heading2"]),
        "body": ParagraphStyle("body", parent=sheet["BodyText"]),
        "cell": cell,
        "amount": ParagraphStyle("amount", parent=cell, alignment=2),
        "head": ParagraphStyle("head", parent=cell, fontName="Helvetica-Bold"),
    }


def _table(rows: list[list[Flowable]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf2")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _lines_table(report: Report, styles: dict[str, ParagraphStyle]) -> Table:
    labels = flag_labels()
    head = [
        _("Project"),
        _("Earmarked"),
        _("From the pool"),
        _("Balance before"),
        _("Balance after"),
        _("Payout proposed"),
        _("Flags"),
    ]
    rows: list[list[Flowable]] = [[Paragraph(_text(h), styles["head"]) for h in head]]
    for line in report.lines:
        amounts = [
            Paragraph(_text(format_money(line[key])), styles["amount"])
            for key in (
                "earmarked_cents",
                "pool_cents",
                "balance_before_cents",
                "balance_after_cents",
                "proposed_payout_cents",
            )
        ]
        flags = ", ".join(labels.get(flag, flag) for flag in line["flags"])
        rows.append(
            [
                Paragraph(_text(line["name"]), styles["cell"]),
                *amounts,
                Paragraph(_text(flags), styles["cell"]),
            ]
        )
    return _table(rows, [62 * mm, 26 * mm, 26 * mm, 26 * mm, 26 * mm, 28 * mm, 60 * mm])


def _totals_table(report: Report, styles: dict[str, ParagraphStyle]) -> Table:
    totals = report.totals
    pairs = [
        (_("Earmarked to projects"), totals["earmarked"]),
        (_("From the pool"), totals["pool"]),
        (_("Balances after the run"), totals["balance_after"]),
        (_("Payouts proposed"), totals["proposed_payout"]),
        (_("Kept for a later batch"), totals["held"]),
    ]
    rows: list[list[Flowable]] = [
        [Paragraph(_text(_("Total")), styles["head"]), Paragraph("", styles["head"])]
    ]
    rows += [
        [
            Paragraph(_text(label), styles["cell"]),
            Paragraph(_text(format_money(cents)), styles["amount"]),
        ]
        for label, cents in pairs
    ]
    return _table(rows, [80 * mm, 40 * mm])


def _approvals(approvals: list[Approval], styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    if not approvals:
        return [Paragraph(_text(_("No approval yet.")), styles["body"])]
    items: list[Flowable] = []
    for approval in approvals:
        when = formats.date_format(timezone.localtime(approval.approved_at), "DATETIME_FORMAT")
        text = _("%(name)s approved on %(when)s the content %(sha)s") % {
            "name": str(approval.administrator),
            "when": when,
            "sha": approval.content_sha256[:16] + "…",
        }
        if approval.voided_at is not None:
            text += " — " + _("voided: %(reason)s") % {"reason": approval.void_reason}
        items.append(Paragraph(_text(text), styles["body"]))
    return items


def disbursement_report_pdf(*, report: Report, approvals: list[Approval], language: str) -> bytes:
    """The report of `report.run` in `language` (``fr`` or ``en``)."""
    with translation.override(language):
        styles = _styles()
        buffer = BytesIO()
        month = formats.date_format(
            timezone.localtime(report.run.period_start_at), "YEAR_MONTH_FORMAT"
        )
        title = _("Disbursement report, %(period)s") % {"period": month}
        footer = _("Content SHA-256: %(sha)s") % {"sha": report.sha256}
        document = SimpleDocTemplate(
            buffer,
            pagesize=landscape(A4),
            title=title,
            author=settings.FUND_NAME,
            subject=report.sha256,
            leftMargin=15 * mm,
            rightMargin=15 * mm,
            topMargin=15 * mm,
            bottomMargin=18 * mm,
        )

        def on_page(canvas: Canvas, _document: Any) -> None:
            canvas.saveState()
            canvas.setFont("Helvetica", 7)
            canvas.drawString(15 * mm, 10 * mm, footer)
            canvas.drawRightString(282 * mm, 10 * mm, str(canvas.getPageNumber()))
            canvas.restoreState()

        story: list[Flowable] = [
            Paragraph(_text(settings.FUND_NAME), styles["body"]),
            Paragraph(_text(title), styles["title"]),
            Paragraph(_text(footer), styles["body"]),
            Paragraph(
                _text(
                    _(
                        "Payout threshold: %(amount)s. Payouts are the whole balance "
                        "of each project."
                    )
                    % {"amount": format_money(report.content["payout_threshold_cents"])}
                ),
                styles["body"],
            ),
            Spacer(1, 4 * mm),
            _totals_table(report, styles),
            Spacer(1, 6 * mm),
            Paragraph(_text(_("Projects")), styles["h2"]),
            _lines_table(report, styles),
            Spacer(1, 6 * mm),
            Paragraph(_text(_("Approvals")), styles["h2"]),
            *_approvals(approvals, styles),
        ]
        document.build(story, onFirstPage=on_page, onLaterPages=on_page)
        return buffer.getvalue()
