"""The EPC QR code of a payment request (EPC069-12, "SEPA credit transfer" QR):
a bank app scans it and fills in the transfer. Drawn on the PDF with reportlab
from the `qrcode` package's matrix."""

from __future__ import annotations

from decimal import Decimal

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.pdfgen.canvas import Canvas

# EPC069-12: at most 999 999 999,99 EUR, a name of at most 70 characters.
EPC_MAX_CENTS = 99_999_999_999
EPC_NAME_LENGTH = 70


def group_iban(iban: str) -> str:
    """An IBAN as people read it: groups of four ("FR76 9999 9000 ...")."""
    compact = "".join(iban.split()).upper()
    return " ".join(compact[start : start + 4] for start in range(0, len(compact), 4))


def epc_payload(*, name: str, iban: str, bic: str, amount_cents: int, reference: str) -> str | None:
    """The QR code's text, or None when the amount is beyond what the standard
    allows. The reference is a structured creditor reference (RF...), so the
    unstructured remittance line stays empty, as the standard requires."""
    if not 0 < amount_cents <= EPC_MAX_CENTS:
        return None
    amount = Decimal(amount_cents).scaleb(-2)
    lines = [
        "BCD",
        "002",
        "1",
        "SCT",
        bic.strip(),
        name.strip()[:EPC_NAME_LENGTH],
        "".join(iban.split()).upper(),
        f"EUR{amount:.2f}",
        "",
        reference.strip(),
        "",
    ]
    return "\n".join(lines)


def draw_qr(canvas: Canvas, payload: str, *, x: float, y: float, size: float) -> None:
    """The QR code of `payload`, `size` wide, its lower left corner at (x, y),
    its quiet zone included."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    matrix = code.get_matrix()
    cell = size / len(matrix)
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            if dark:
                canvas.rect(
                    x + column * cell, y + size - (row + 1) * cell, cell, cell, stroke=0, fill=1
                )
    canvas.restoreState()
