"""Reading CAMT.053 bank statements (ISO 20022 BankToCustomerStatement,
versions 001.02 and 001.04) safely with defusedxml, streamed (`iterparse`: an
entry is dropped once read, so a long statement takes no more memory than a
short one). Pure parsing: no database. A file is at most
`settings.STATEMENT_MAX_BYTES` long."""

from __future__ import annotations

import hashlib
import io
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from xml.etree.ElementTree import Element, tostring
from xml.etree.ElementTree import iterparse as stdlib_iterparse
from zoneinfo import ZoneInfo

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from stdnum import iso11649

from funds.errors import FundsError
from funds.money import format_money

BANK_TIME_ZONE = ZoneInfo("Europe/Paris")

SUPPORTED_NAMESPACES = {
    "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02",
    "urn:iso:std:iso:20022:tech:xsd:camt.053.001.04",
}
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
    # How many entries the statement has (all of them, read or not).
    entry_count: int = 0


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


def statement_too_large() -> str:
    """The refusal of a file over `STATEMENT_MAX_BYTES`, naming the limit."""
    return _("The file is too large for a bank statement (at most %(size)s).") % {
        "size": filesizeformat(settings.STATEMENT_MAX_BYTES)
    }


def parse_statement(content: bytes) -> list[Statement]:
    """Every statement (`Stmt`) of a CAMT.053 document, with its entries."""
    statements: list[Statement] = []
    entries: list[StatementEntry] = []
    for item in _stream(content, wanted=None):
        if isinstance(item, StatementEntry):
            entries.append(item)
        else:
            statements.append(replace(item, entries=entries))
            entries = []
    return statements


def scan_statements(content: bytes) -> list[Statement]:
    """The statements of a CAMT.053 document, every entry read and checked but
    none kept (`entries` is empty, `entry_count` says how many): what an upload
    records, refusing a file it cannot read, before the import task books them."""
    return [item for item in _stream(content, wanted=None) if isinstance(item, Statement)]


def statement_entries(content: bytes, statement_id: str) -> Iterator[StatementEntry]:
    """The entries of the statement `statement_id` of a CAMT.053 document that
    an upload read (`scan_statements`) and stored, read one at a time (the
    document is streamed: memory stays flat however long); refused at the end
    when the document does not hold that statement."""
    found = False
    for item in _stream(content, wanted=statement_id, checked=True):
        if isinstance(item, StatementEntry):
            yield item
        else:
            found = found or item.statement_id == statement_id
    if not found:
        raise StatementFormatError(_("The file holds no statement."))


def _events(content: bytes, *, checked: bool) -> Iterator[tuple[str, Element]]:
    """The document's start and end events: read by defusedxml (no DTD, hence
    no entity), or, when `checked` (a file an upload already read that way and
    stored), by the standard library's parser in C, several times faster."""
    parse = stdlib_iterparse if checked else partial(ElementTree.iterparse, forbid_dtd=True)
    try:
        yield from parse(io.BytesIO(content), events=("start", "end"))
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        raise StatementFormatError(_("The file is not well-formed XML.")) from None


def _stream(
    content: bytes, *, wanted: str | None, checked: bool = False
) -> Iterator[Statement | StatementEntry]:
    """Stream a CAMT.053 document: each entry of the statement `wanted` (its id;
    None: of every one) as it ends, then each statement's header
    with its number of entries. Each entry read is dropped from the tree, and
    each statement once done: memory stays flat."""
    if len(content) > settings.STATEMENT_MAX_BYTES:
        raise StatementFormatError(statement_too_large())
    walk = _Walk(wanted)
    events = _events(content, checked=checked)
    for event, element in events:
        if event == "start":
            if not walk.start(element):
                deque(events, maxlen=0)  # a file that is not even XML says so first
                raise StatementFormatError(
                    _("This is not a CAMT.053 statement (versions 001.02 and 001.04 are read).")
                )
        else:
            item = walk.end(element)
            if item is not None:
                yield item
    if not walk.statements:
        raise StatementFormatError(_("The file holds no statement."))


class _Walk:
    """Where the stream is: how deep (0: the root, 1: BkToCstmrStmt, 2: a
    statement, 3: an entry), the open group and statement, the message id, the
    current statement's header (read at its first entry) and entries so far."""

    def __init__(self, wanted: str | None) -> None:
        self.wanted = wanted
        self.depth = 0
        self.ns: dict[str, str] = {}
        self.tags: tuple[str, str, str, str] = ("", "", "", "")
        self.group: Element | None = None
        self.stmt: Element | None = None
        self.message_id = ""
        self.header: Statement | None = None
        self.count = 0
        self.statements = 0

    def start(self, element: Element) -> bool:
        """Open `element`; False when it is a root of another kind of document."""
        depth = self.depth
        self.depth += 1
        if depth > 3:  # inside an entry: most elements, nothing to do  # noqa: PLR2004
            return True
        group_tag, statement_tag, _group_header, entry_tag = self.tags
        if depth == 0:
            tag = element.tag
            namespace = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
            self.ns = {"c": namespace}
            self.tags = (
                f"{{{namespace}}}BkToCstmrStmt",
                f"{{{namespace}}}Stmt",
                f"{{{namespace}}}GrpHdr",
                f"{{{namespace}}}Ntry",
            )
            return namespace in SUPPORTED_NAMESPACES
        if depth == 1:
            self.group = element if element.tag == group_tag else None
        elif depth == 2:  # noqa: PLR2004
            self.stmt = element if self.group is not None and element.tag == statement_tag else None
        elif self.stmt is not None and self.header is None and element.tag == entry_tag:
            self.header = _header(self.stmt, self.ns, self.message_id)
        return True

    def end(self, element: Element) -> Statement | StatementEntry | None:
        self.depth -= 1
        depth = self.depth
        if depth == 3:  # noqa: PLR2004
            return self._entry_end(element)
        if depth != 2 or self.group is None:  # noqa: PLR2004
            return None
        if element.tag == self.tags[2]:
            self.message_id = _within(
                _text(element, "c:MsgId", self.ns), MAX_MESSAGE_ID, _("message id")
            )
            return None
        if element is not self.stmt:
            return None
        header = replace(
            self.header or _header(element, self.ns, self.message_id), entry_count=self.count
        )
        self.stmt, self.header, self.count = None, None, 0
        self.statements += 1
        self.group.remove(element)
        return header

    def _entry_end(self, element: Element) -> StatementEntry | None:
        if self.stmt is None or self.header is None or element.tag != self.tags[3]:
            return None
        index, self.count = self.count, self.count + 1
        wanted = self.wanted is None or self.wanted == self.header.statement_id
        item = _entry(element, index, self.ns) if wanted else None
        self.stmt.remove(element)
        return item


def _header(stmt: Element, ns: dict[str, str], message_id: str) -> Statement:
    """A statement's identity, read from the elements before its first entry."""
    statement_id = _within(_text(stmt, "c:Id", ns), MAX_STATEMENT_ID, _("statement id"))
    iban = _within(_text(stmt, "c:Acct/c:Id/c:IBAN", ns), MAX_IBAN, _("account IBAN"))
    if not statement_id or not iban:
        raise StatementFormatError(_("A statement has no identifier or no account IBAN."))
    created = _text(stmt, "c:CreDtTm", ns)
    try:
        created_at = datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None
    except ValueError:
        raise StatementFormatError(_("A statement date is not valid.")) from None
    if created_at is not None and created_at.tzinfo is None:
        # ISO 20022 allows a local time without offset: the fund's banks are in Paris.
        created_at = created_at.replace(tzinfo=BANK_TIME_ZONE)
    return Statement(iban, statement_id, message_id, created_at)


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
