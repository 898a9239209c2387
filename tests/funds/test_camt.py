"""The CAMT.053 reader on small hand-written documents: what it reads from an
entry, and the reason it gives for each document it refuses."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from funds.camt import MAX_STATEMENT_BYTES, StatementFormatError, parse_statement

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
        (b" " * (MAX_STATEMENT_BYTES + 1), "The file is too large for a bank statement."),
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
        "too-large",
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
