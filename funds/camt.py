"""Reading CAMT.053 bank statements (ISO 20022 BankToCustomerStatement,
versions 001.02 and 001.04) safely with defusedxml. Pure parsing: no database."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from xml.etree.ElementTree import Element, tostring
from zoneinfo import ZoneInfo

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.utils.translation import gettext as _
from stdnum import iso11649

from funds.errors import FundsError
from funds.money import format_money

BANK_TIME_ZONE = ZoneInfo("Europe/Paris")

SUPPORTED_NAMESPACES = {
    "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02",
    "urn:iso:std:iso:20022:tech:xsd:camt.053.001.04",
}
MAX_STATEMENT_BYTES = 10 * 1024 * 1024
# The largest amount of one entry (10 000 000 000,00): beyond it, a statement is not ours.
MAX_AMOUNT_CENTS = 10**12
# The longest texts the database keeps (the model's columns); an entry reference
# leaves room for the "#n" that tells apart two entries with the same reference.
MAX_STATEMENT_ID = 140
MAX_MESSAGE_ID = 140
MAX_IBAN = 34
MAX_ENTRY_REFERENCE = 120
MAX_DEBTOR_NAME = 140
MAX_END_TO_END_ID = 35
# Bank transaction sub-families of a returned or reversed transfer (ISO 20022
# external codes: RRTN received return, RPCR/ARET reversal and return).
_RETURN_SUBFAMILIES = frozenset({"RRTN", "RPCR", "ARET"})
_RF_RE = re.compile(r"RF\d{2}[A-Z0-9]{1,21}")
# An ISO 20022 amount: decimal digits (at most 18) and at most 5 decimals, no sign, no exponent.
_AMOUNT_RE = re.compile(r"(\d{1,18})(?:\.(\d{1,5}))?")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")


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
    # The payer's end-to-end id of the (first) transaction, as our own transfers
    # carry it; and whether the entry gives back an earlier transfer (a return
    # or a reversal), not new money.
    end_to_end_id: str = ""
    is_return: bool = False


@dataclass(frozen=True)
class Statement:
    account_iban: str
    statement_id: str
    message_id: str
    created_at: datetime | None
    entries: list[StatementEntry] = field(default_factory=list)


def _amount_cents(text: str | None) -> int:
    """A positive amount in cents, read strictly: no NaN, infinity, exponent,
    sign or fraction of a cent, and at most `MAX_AMOUNT_CENTS`."""
    raw = (text or "").strip()
    match = _AMOUNT_RE.fullmatch(raw)
    decimals = (match.group(2) or "") if match else ""
    cents = 0
    if match is not None and not decimals[2:].strip("0"):
        cents = int(match.group(1)) * 100 + int(decimals[:2].ljust(2, "0"))
    if cents <= 0:
        raise StatementFormatError(
            _(
                "An amount in the statement is not a positive amount in euros and cents: "
                "“%(amount)s”."
            )
            % {"amount": raw[:40]}
        )
    if cents > MAX_AMOUNT_CENTS:
        raise StatementFormatError(
            _("An amount in the statement is larger than %(amount)s.")
            % {"amount": format_money(MAX_AMOUNT_CENTS)}
        )
    return cents


def _within(value: str, limit: int, field: str) -> str:
    """`value` if it fits its column; a refusal naming the field otherwise (never cut)."""
    if len(value) > limit:
        raise StatementFormatError(
            _("The statement's %(field)s is too long (%(length)s characters, at most %(limit)s).")
            % {"field": field, "length": len(value), "limit": limit}
        )
    return value


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

    message_id = _within(
        text(root, "c:BkToCstmrStmt/c:GrpHdr/c:MsgId"), MAX_MESSAGE_ID, _("message id")
    )
    statements = []
    for stmt in root.findall("c:BkToCstmrStmt/c:Stmt", ns):
        statement_id = _within(text(stmt, "c:Id"), MAX_STATEMENT_ID, _("statement id"))
        iban = _within(text(stmt, "c:Acct/c:Id/c:IBAN"), MAX_IBAN, _("account IBAN"))
        if not statement_id or not iban:
            raise StatementFormatError(_("A statement has no identifier or no account IBAN."))
        created = text(stmt, "c:CreDtTm")
        try:
            created_at = datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None
        except ValueError:
            raise StatementFormatError(_("A statement date is not valid.")) from None
        if created_at is not None and created_at.tzinfo is None:
            # ISO 20022 allows a local time without offset: the fund's banks are in Paris.
            created_at = created_at.replace(tzinfo=BANK_TIME_ZONE)
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
    currency = _within(amount_element.get("Ccy", ""), 3, _("currency"))
    if not _CURRENCY_RE.fullmatch(currency):
        raise StatementFormatError(_("A currency of the statement is not a three-letter code."))
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
    end_to_end_id = next(
        (
            value
            for value in (
                _text(details, "c:Refs/c:EndToEndId", ns)
                for details in entry.findall("c:NtryDtls/c:TxDtls", ns)
            )
            if value and value != "NOTPROVIDED"
        ),
        "",
    )
    is_return = (
        get(entry, "c:RvslInd").lower() == "true"
        or get(entry, "c:BkTxCd/c:Domn/c:Fmly/c:SubFmlyCd") in _RETURN_SUBFAMILIES
        or entry.find("c:NtryDtls/c:TxDtls/c:RtrInf", ns) is not None
    )
    entry_reference = get(entry, "c:AcctSvcrRef") or get(entry, "c:NtryRef")
    if not entry_reference:
        entry_reference = "/".join(tx_refs)
    if not entry_reference:
        digest = hashlib.sha256(tostring(entry))
        entry_reference = f"entry-{index}-{digest.hexdigest()[:16]}"
    return StatementEntry(
        entry_reference=_within(entry_reference, MAX_ENTRY_REFERENCE, _("bank entry reference")),
        amount_cents=amount_cents,
        currency=currency,
        is_credit=indicator == "CRDT",
        booking_date=booking_date,
        debtor_name=_within(debtor, MAX_DEBTOR_NAME, _("debtor")),
        remittance_information=remittance,
        references=tuple(dict.fromkeys(r for r in references if iso11649.is_valid(r))),
        end_to_end_id=_within(end_to_end_id, MAX_END_TO_END_ID, _("end-to-end id")),
        is_return=is_return,
    )
