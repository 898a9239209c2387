"""A CAMT.053.001.02 statement of the fund's account, built in the tests from
a batch's payouts: each payout debited (booked), and those given as returned
credited back by the bank (bank transaction code PMNT/ICDT/RRTN)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from django.conf import settings

from allocation.models import Payout


def _amount(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _entry(payout: Payout, *, returned: bool, booked: str) -> str:
    indicator, subfamily, prefix = ("CRDT", "RRTN", "RET") if returned else ("DBIT", "ESCT", "DEB")
    return_info = (
        "<RtrInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Closed account</AddtlInf></RtrInf>"
        if returned
        else ""
    )
    return f"""
      <Ntry>
        <Amt Ccy="EUR">{_amount(payout.amount_cents)}</Amt>
        <CdtDbtInd>{indicator}</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>{booked}</Dt></BookgDt>
        <AcctSvcrRef>{prefix}-{payout.pk}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>{subfamily}</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>{payout.end_to_end_id}</EndToEndId></Refs>
          <AmtDtls><TxAmt><Amt Ccy="EUR">{_amount(payout.amount_cents)}</Amt></TxAmt></AmtDtls>
          <RltdPties><Cdtr><Nm>{escape(payout.holder_name)}</Nm></Cdtr>
            <CdtrAcct><Id><IBAN>{payout.iban}</IBAN></Id></CdtrAcct></RltdPties>
          <RmtInf><Ustrd>{payout.end_to_end_id}</Ustrd></RmtInf>
          {return_info}
        </TxDtls></NtryDtls>
      </Ntry>"""


def payout_statement(
    payouts: list[Payout],
    *,
    statement_id: str,
    returned: list[Payout] | None = None,
    booked: str = "2026-04-10",
) -> bytes:
    entries = "".join(_entry(p, returned=False, booked=booked) for p in payouts)
    entries += "".join(_entry(p, returned=True, booked=booked) for p in returned or [])
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-{statement_id}</MsgId><CreDtTm>2026-04-11T08:00:00Z</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{statement_id}</Id>
      <CreDtTm>2026-04-11T08:00:00Z</CreDtTm>
      <Acct><Id><IBAN>{settings.FUND_IBAN}</IBAN></Id></Acct>
      <Bal>
        <Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="EUR">0</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{booked}</Dt></Dt>
      </Bal>{entries}
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()
