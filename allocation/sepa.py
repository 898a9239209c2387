"""A payout batch as a SEPA credit transfer file (pain.001.001.03), made with
sepaxml: the fund (`FUND_NAME`, `FUND_IBAN`, `FUND_BIC`) pays each payout that
has not failed, its end-to-end id being the payout's own id, so that the bank's
statement names it. The message id is the batch's: a bank refuses a second
file with the same one, so uploading the file twice pays nobody twice."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.utils.translation import gettext as _
from sepaxml import SepaTransfer
from stdnum import iban as iban_numbers

from allocation.enums import PayoutStatus
from allocation.errors import DisbursementError
from allocation.models import PayoutBatch
from funds.selectors import FUND_TIME_ZONE

PAIN_001_SCHEMA = "pain.001.001.03"


def payout_batch_pain001(*, batch: PayoutBatch, execution_date: date) -> bytes:
    """The batch's pain.001 file, its transfers asked for `execution_date`."""
    payouts = list(
        batch.payouts.exclude(status=PayoutStatus.FAILED)
        .select_related("batch__run")
        .order_by("pk")
    )
    if not payouts:
        raise DisbursementError(_("This batch has no payout left to transfer."))
    transfer = SepaTransfer(
        {
            "name": settings.FUND_NAME,
            "IBAN": iban_numbers.compact(settings.FUND_IBAN),
            "BIC": settings.FUND_BIC,
            "batch": True,
            "currency": "EUR",
        },
        schema=PAIN_001_SCHEMA,
        clean=True,
    )
    header = transfer._xml.find("CstmrCdtTrfInitn/GrpHdr")  # noqa: SLF001 -- no public setter
    header.find("MsgId").text = batch.message_id
    header.find("CreDtTm").text = (
        batch.created_at.astimezone(FUND_TIME_ZONE).replace(tzinfo=None, microsecond=0).isoformat()
    )
    for payout in payouts:
        transfer.add_payment(
            {
                "name": payout.holder_name,
                "IBAN": iban_numbers.compact(payout.iban),
                "BIC": payout.bic,
                "amount": payout.amount_cents,
                "currency": payout.currency,
                "execution_date": execution_date,
                "description": f"{settings.SITE_NAME} {batch.run.period} {payout.end_to_end_id}",
                "endtoend_id": payout.end_to_end_id,
            }
        )
    # The tests validate the file against the official XSD (xmlschema is a test
    # dependency); sepaxml's own check would need it in production.
    return bytes(transfer.export(validate=False))
