"""The CAMT.053 reader on small hand-written documents: what it reads from an
entry, and the reason it gives for each document it refuses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from funds.camt import (
    StatementFormatError,
    parse_statement,
    scan_statements,
    statement_entries,
)

pytestmark = [pytest.mark.unit]

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
ENTRY = (
    '<Ntry><Amt Ccy="EUR">12.50</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
    "<BookgDt><Dt>2026-03-02</Dt></BookgDt></Ntry>"
)


def _document(
    entries: str = ENTRY,
    *,
    statement_id: str = "STMT-1",
    created: str = "<CreDtTm>2026-03-03T08:00:00Z</CreDtTm>",
    namespace: str = NAMESPACE,
) -> bytes:
    return (
        f'<?xml version="1.0"?><Document xmlns="{namespace}"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>MSG-1</MsgId></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id>{created}"
        "<Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>"
        f"{entries}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def _refused(content: bytes) -> str:
    with pytest.raises(StatementFormatError) as caught:
        parse_statement(content)
    return str(caught.value)


def test_a_minimal_statement_is_read() -> None:
    (statement,) = parse_statement(_document())
    assert (statement.account_iban, statement.statement_id, statement.message_id) == (
        "FR7630006000011234567890189",
        "STMT-1",
        "MSG-1",
    )
    assert statement.created_at == datetime(2026, 3, 3, 8, tzinfo=UTC)
    (entry,) = statement.entries
    assert (entry.amount_cents, entry.currency, entry.is_credit, entry.booking_date) == (
        1250,
        "EUR",
        True,
        date(2026, 3, 2),
    )
    assert (entry.debtor_name, entry.remittance_information, entry.references) == ("", "", ())


def test_an_entry_without_any_reference_is_named_after_its_place_and_content() -> None:
    first, second = parse_statement(_document(ENTRY + ENTRY))[0].entries
    assert first.entry_reference.startswith("entry-0-")
    assert second.entry_reference.startswith("entry-1-")
    assert len(first.entry_reference) == len("entry-0-") + 16
    assert first.entry_reference[8:] == second.entry_reference[8:]


def test_transaction_details_without_references_leave_the_entry_unnamed() -> None:
    entry = ENTRY.replace(
        "</Ntry>",
        "<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>"
        "<RltdPties><Dbtr><Nm>Jane Doe</Nm></Dbtr></RltdPties></TxDtls></NtryDtls></Ntry>",
    )
    (entry_read,) = parse_statement(_document(entry))[0].entries
    assert entry_read.debtor_name == "Jane Doe"
    assert entry_read.entry_reference.startswith("entry-0-")


def test_a_creation_time_without_offset_is_the_bank_s_local_time() -> None:
    """ISO 20022 allows a local time: read as Paris time, never a naive datetime."""
    (statement,) = parse_statement(_document(created="<CreDtTm>2026-03-03T09:00:00</CreDtTm>"))
    assert statement.created_at == datetime(2026, 3, 3, 8, tzinfo=UTC)
    assert statement.created_at is not None
    assert statement.created_at.utcoffset() is not None


def test_a_statement_without_a_creation_date_is_read_without_one() -> None:
    (statement,) = parse_statement(_document(created=""))
    assert statement.created_at is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<Document><unclosed></Document>", "The file is not well-formed XML."),
        (
            _document(namespace="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"),
            "This is not a CAMT.053 statement (versions 001.02 and 001.04 are read).",
        ),
        (_document(statement_id=""), "A statement has no identifier or no account IBAN."),
        (
            _document(created="<CreDtTm>3 March 2026</CreDtTm>"),
            "A statement date is not valid.",
        ),
        (
            f'<Document xmlns="{NAMESPACE}"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId>'
            "</GrpHdr></BkToCstmrStmt></Document>".encode(),
            "The file holds no statement.",
        ),
        (
            _document("<Ntry><CdtDbtInd>CRDT</CdtDbtInd></Ntry>"),
            "An entry of the statement has no amount.",
        ),
        (
            _document(ENTRY.replace("12.50", "twelve")),
            "An amount in the statement is not a positive amount in euros and cents: “twelve”.",
        ),
        (
            _document(ENTRY.replace("12.50", "0.00")),
            "An amount in the statement is not a positive amount in euros and cents: “0.00”.",
        ),
        (
            _document(ENTRY.replace("12.50", "12.505")),
            "An amount in the statement is not a positive amount in euros and cents: “12.505”.",
        ),
        (
            _document(ENTRY.replace("CRDT", "BOTH")),
            "An entry is neither a credit nor a debit.",
        ),
        (
            _document(ENTRY.replace("2026-03-02", "2026-02-30")),
            "A booking date is not valid.",
        ),
    ],
    ids=[
        "not-xml",
        "other-message",
        "no-identifier",
        "bad-statement-date",
        "no-statement",
        "no-amount",
        "amount-not-a-number",
        "amount-zero",
        "amount-fraction-of-a-cent",
        "neither-credit-nor-debit",
        "bad-booking-date",
    ],
)
def test_a_document_it_cannot_read_is_refused_with_the_reason(content: bytes, reason: str) -> None:
    assert _refused(content) == reason


def test_a_file_over_the_limit_is_refused_with_the_limit_named(settings: Any) -> None:
    settings.STATEMENT_MAX_BYTES = len(_document()) - 1
    assert _refused(_document()) == (
        f"The file is too large for a bank statement (at most {len(_document()) - 1}\xa0bytes)."
    )
    settings.STATEMENT_MAX_BYTES = 50 * 1024 * 1024
    assert len(parse_statement(_document())) == 1


def _two_statements() -> bytes:
    """Two statements (the second without entries) among elements that look
    like entries or statements but are not where a statement's are."""
    stray = f"<Other><Stmt><Id>X</Id>{ENTRY}</Stmt></Other>"
    return (
        f'<?xml version="1.0"?><Document xmlns="{NAMESPACE}">{stray}<BkToCstmrStmt>'
        f"<GrpHdr><MsgId>MSG-2</MsgId>{ENTRY}</GrpHdr>"
        "<Stmt><Id>S-1</Id><Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>"
        f"<Bal>{ENTRY}</Bal>{ENTRY}{ENTRY.replace('12.50', '7.00')}</Stmt>"
        "<SplmtryData><Envlp/></SplmtryData>"
        "<Stmt><Id>S-2</Id><Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>"
        "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def test_an_upload_s_scan_counts_each_statement_s_entries_and_keeps_none() -> None:
    scanned = scan_statements(_two_statements())
    assert [(s.statement_id, s.message_id, s.entry_count, s.entries) for s in scanned] == [
        ("S-1", "MSG-2", 2, []),
        ("S-2", "MSG-2", 0, []),
    ]
    assert [len(s.entries) for s in parse_statement(_two_statements())] == [2, 0]


def test_the_entries_of_one_statement_are_streamed_and_a_missing_one_is_refused() -> None:
    entries = statement_entries(_two_statements(), "S-1")
    assert [entry.amount_cents for entry in entries] == [1250, 700]
    assert list(statement_entries(_two_statements(), "S-2")) == []
    with pytest.raises(StatementFormatError, match=r"^The file holds no statement\.$"):
        list(statement_entries(_two_statements(), "S-3"))
