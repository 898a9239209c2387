"""Reading CAMT.053 bank statements (ISO 20022 BankToCustomerStatement,
versions 001.02 and 001.04) safely with defusedxml. Pure parsing: no database."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, tostring

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.utils.translation import gettext as _
from stdnum import iso11649

from funds.errors import FundsError

SUPPORTED_NAMESPACES = {
    "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02",
    "urn:iso:std:iso:20022:tech:xsd:camt.053.001.04",
}
MAX_STATEMENT_BYTES = 10 * 1024 * 1024
_RF_RE = re.compile(r"RF\d{2}[A-Z0-9]{1,21}")


class StatementFormatError(FundsError, ValueError):
    """The file is not a CAMT.053 statement we can read; the message says why."""


@dataclass(frozen=True)
class StatementEntry:
    entry_reference: str
    amount_cents: int
    currency: str
    is_credit: bool
    booking_date: date | None
    debtor_name: str
    remittance_information: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    account_iban: str
    statement_id: str
    message_id: str
    created_at: datetime | None
    entries: list[StatementEntry] = field(default_factory=list)


def _amount_cents(text: str | None) -> int:
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        raise StatementFormatError(_("An amount in the statement is not a number.")) from None
    cents = value * 100
    if value <= 0 or cents != cents.to_integral_value():
        raise StatementFormatError(
            _("An amount in the statement is not a positive number of cents.")
        )
    return int(cents)


def structured_references(text: str) -> list[str]:
    """Valid ISO 11649 references found in free text (spaces allowed inside)."""
    found = []
    compact = re.sub(r"\s+", "", text.upper())
    for candidate in _RF_RE.findall(compact):
        # A reference may be followed by other text: try the longest valid prefix.
        for end in range(len(candidate), 4, -1):
            if iso11649.is_valid(candidate[:end]):
                found.append(candidate[:end])
                break
    return found


def parse_statement(content: bytes) -> list[Statement]:
    """Every statement (`Stmt`) of a CAMT.053 document."""
    if len(content) > MAX_STATEMENT_BYTES:
        raise StatementFormatError(_("The file is too large for a bank statement."))
    try:
        root = ElementTree.fromstring(content, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        raise StatementFormatError(_("The file is not well-formed XML.")) from None
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if namespace not in SUPPORTED_NAMESPACES:
        raise StatementFormatError(
            _("This is not a CAMT.053 statement (versions 001.02 and 001.04 are read).")
        )
    ns = {"c": namespace}

    def text(element: Element | None, path: str) -> str:
        return _text(element, path, ns)

    message_id = text(root, "c:BkToCstmrStmt/c:GrpHdr/c:MsgId")
    statements = []
    for stmt in root.findall("c:BkToCstmrStmt/c:Stmt", ns):
        statement_id = text(stmt, "c:Id")
        iban = text(stmt, "c:Acct/c:Id/c:IBAN")
        if not statement_id or not iban:
            raise StatementFormatError(_("A statement has no identifier or no account IBAN."))
        created = text(stmt, "c:CreDtTm")
        try:
            created_at = datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None
        except ValueError:
            raise StatementFormatError(_("A statement date is not valid.")) from None
        entries = [
            _entry(entry, index, ns) for index, entry in enumerate(stmt.findall("c:Ntry", ns))
        ]
        statements.append(Statement(iban, statement_id, message_id, created_at, entries))
    if not statements:
        raise StatementFormatError(_("The file holds no statement."))
    return statements


def _text(element: Element | None, path: str, ns: dict[str, str]) -> str:
    if element is None:  # pragma: no cover -- every caller passes an element
        return ""
    found = element.find(path, ns)
    return (found.text or "").strip() if found is not None else ""


def _details(entry: Element, ns: dict[str, str]) -> tuple[list[str], list[str], str, list[str]]:
    """Structured references, free texts, the debtor and transaction references of an entry."""
    references: list[str] = []
    texts: list[str] = []
    debtor = ""
    tx_refs: list[str] = []
    for details in entry.findall("c:NtryDtls/c:TxDtls", ns):
        references.extend(
            (ref.text or "").strip().upper().replace(" ", "")
            for ref in details.findall("c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns)
        )
        texts += [(u.text or "").strip() for u in details.findall("c:RmtInf/c:Ustrd", ns)]
        texts.append(_text(details, "c:AddtlTxInf", ns))
        debtor = debtor or _text(details, "c:RltdPties/c:Dbtr/c:Nm", ns)
        for path in ("c:Refs/c:AcctSvcrRef", "c:Refs/c:TxId", "c:Refs/c:EndToEndId"):
            value = _text(details, path, ns)
            if value and value != "NOTPROVIDED":
                tx_refs.append(value)
                break
    return references, texts, debtor, tx_refs


def _entry(entry: Element, index: int, ns: dict[str, str]) -> StatementEntry:
    def get(element: Element | None, path: str) -> str:
        return _text(element, path, ns)

    amount_element = entry.find("c:Amt", ns)
    if amount_element is None:
        raise StatementFormatError(_("An entry of the statement has no amount."))
    amount_cents = _amount_cents(amount_element.text)
    currency = amount_element.get("Ccy", "")
    indicator = get(entry, "c:CdtDbtInd")
    if indicator not in {"CRDT", "DBIT"}:
        raise StatementFormatError(_("An entry is neither a credit nor a debit."))
    booking = get(entry, "c:BookgDt/c:Dt") or get(entry, "c:BookgDt/c:DtTm")[:10]
    try:
        booking_date = date.fromisoformat(booking) if booking else None
    except ValueError:
        raise StatementFormatError(_("A booking date is not valid.")) from None
    references, texts, debtor, tx_refs = _details(entry, ns)
    texts.insert(0, get(entry, "c:AddtlNtryInf"))
    remittance = " | ".join(t for t in texts if t and t != "NOTPROVIDED")
    references += structured_references(remittance)
    entry_reference = get(entry, "c:AcctSvcrRef") or get(entry, "c:NtryRef")
    if not entry_reference:
        entry_reference = "/".join(tx_refs)
    if not entry_reference:
        digest = hashlib.sha256(tostring(entry))
        entry_reference = f"entry-{index}-{digest.hexdigest()[:16]}"
    return StatementEntry(
        entry_reference=entry_reference[:140],
        amount_cents=amount_cents,
        currency=currency,
        is_credit=indicator == "CRDT",
        booking_date=booking_date,
        debtor_name=debtor[:140],
        remittance_information=remittance,
        references=tuple(dict.fromkeys(r for r in references if iso11649.is_valid(r))),
    )
