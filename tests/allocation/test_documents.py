"""The run's document written two ways: on PostgreSQL the database writes the
receipts' lines for the hash, while the download streams them from Python.
Both must be the same bytes, on what makes canonical JSON delicate: project
ids ordered as strings (10 before 9), timestamps with and without
microseconds, negative receipts that reverse another, receipts without
earmarks, and several receipts of one contributor."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from allocation import documents
from allocation.documents import (
    _document_chunks_postgresql,
    document_chunks,
    document_sha256,
)
from allocation.models import AllocationRun
from allocation.services import allocation_run_claim, allocation_run_execute
from funds.enums import PaymentEventSource, RefundKind
from funds.services import payment_succeed, refund_record, refund_succeed
from projects.enums import ProjectStatus
from tests.factories import ProjectFactory
from tests.factories.contributors import EarmarkFactory, PledgeFactory
from tests.factories.funds import PaymentFactory
from tests.services import is_postgresql, need

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
AFTER_MARCH = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)


def _march_run() -> AllocationRun:
    nine, ten, hundred = (
        ProjectFactory.create(pk=pk, status=ProjectStatus.ADMITTED) for pk in (9, 10, 100)
    )
    pledge = PledgeFactory.create(amount_cents=3_000)
    for project, share in ((nine, 1000), (ten, 1500), (hundred, 2000)):
        EarmarkFactory.create(pledge=pledge, project=project, share_bp=share)
    bare = PledgeFactory.create(amount_cents=700, contributor=pledge.contributor)
    received = []
    for index, (chosen, at) in enumerate(
        [
            (pledge, datetime(2026, 3, 1, 0, 0, tzinfo=UTC)),
            (pledge, datetime(2026, 3, 2, 9, 30, 5, 120, tzinfo=UTC)),
            (bare, datetime(2026, 3, 3, 23, 59, 59, 999_999, tzinfo=UTC)),
            (PledgeFactory.create(amount_cents=1_234), datetime(2026, 3, 4, tzinfo=UTC)),
        ]
    ):
        received.append(
            payment_succeed(
                payment=PaymentFactory.create(pledge=chosen),
                gross_cents=chosen.amount_cents,
                processor_fee_cents=index * 7,
                received_at=at,
                source=PaymentEventSource.STRIPE_WEBHOOK,
            )
        )
    refund = refund_record(
        payment=received[0].payment, kind=RefundKind.REFUND, amount_cents=500, reason="partial"
    )
    refund_succeed(refund=refund, received_at=datetime(2026, 3, 20, 12, 0, 0, 1, tzinfo=UTC))
    return allocation_run_execute(
        run=allocation_run_claim(period="2026-03", at=AFTER_MARCH), at=AFTER_MARCH
    )


def test_the_database_writes_the_same_document_as_the_download() -> None:
    need(is_postgresql(), "the database writes the lines on PostgreSQL only")
    run = _march_run()

    streamed = "".join(document_chunks(run))
    assert "".join(_document_chunks_postgresql(run)) == streamed
    assert run.document_sha256 == document_sha256(run)
    assert run.document_sha256 == hashlib.sha256(streamed.encode()).hexdigest()
    receipts = json.loads(streamed)["receipts"]
    assert len(receipts) == 5
    assert list(receipts[0]["earmarks"]) == ["10", "100", "9"]
    assert receipts[0]["received_at"] == "2026-03-01T00:00:00+00:00"
    assert receipts[1]["received_at"] == "2026-03-02T09:30:05.000120+00:00"
    assert receipts[2]["earmarks"] == {}
    assert receipts[4]["net_cents"] == -500
    assert receipts[4]["reverses"] == receipts[0]["id"]
    assert receipts[0]["contributor"] == receipts[2]["contributor"] != receipts[3]["contributor"]


def test_the_database_lines_read_by_blocks_make_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The hash reads the database's lines by blocks through a server-side
    cursor: blocks of 2 lines cut the five receipts' lines in three, and the
    document stays the same bytes."""
    need(is_postgresql(), "the database writes the lines on PostgreSQL only")
    run = _march_run()
    streamed = "".join(document_chunks(run))
    monkeypatch.setattr(documents, "_BLOCK", 2)

    blocks = list(documents._document_blocks_postgresql(run))

    assert len(blocks) == 5  # before the receipts, three blocks of lines, after them
    assert b"".join(blocks).decode() == streamed
    assert run.document_sha256 == document_sha256(run)
