"""The statements the tests feed to reconciliation are valid ISO 20022
CAMT.053 documents: the real ones as published, and the ones a test edits."""

from __future__ import annotations

from functools import cache

import pytest
import xmlschema

from funds.camt import parse_statement
from funds.services import structured_reference
from tests.paths import DATA

SEPA = DATA / "sepa"
STATEMENTS = {
    "camt053-real-anonymised-month__Subite-eu__camt-to-coda.xml": "camt.053.001.02.xsd",
    "camt053-real-anonymised-small__Subite-eu__camt-to-coda.xml": "camt.053.001.02.xsd",
    "camt053.001.04-bank-sample__viafintech__camt_parser.xml": "camt.053.001.04.xsd",
}

pytestmark = [pytest.mark.unit]


@cache
def _schema(name: str) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SEPA / name))


@pytest.mark.parametrize(("statement", "schema"), sorted(STATEMENTS.items()))
def test_real_statements_are_schema_valid_and_read(statement: str, schema: str) -> None:
    content = (SEPA / statement).read_bytes()
    _schema(schema).validate(content.decode())
    entries = sum(len(s.entries) for s in parse_statement(content))
    assert entries == content.count(b"<Ntry>")


def test_a_statement_quoting_our_reference_is_still_schema_valid() -> None:
    text = (SEPA / "camt053-real-anonymised-month__Subite-eu__camt-to-coda.xml").read_text()
    reference = structured_reference(year=2026, sequence=1)
    edited = text.replace("Transfer ref HBAVHC9717", f"Transfer ref {reference}", 1)
    _schema("camt.053.001.02.xsd").validate(edited)
    (statement,) = parse_statement(edited.encode())
    assert [e.references for e in statement.entries if e.references] == [(reference,)]
