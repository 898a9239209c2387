"""Bank statements on PostgreSQL: parallel uploads of the same transfer give the
sequential answer, and a real worker on Redis imports an uploaded statement."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from funds.enums import BankStatementStatus, PaymentRequestStatus, StatementLineStatus
from funds.models import BankStatement, BankStatementLine, Receipt
from funds.selectors import books_check
from funds.services import bank_statement_import, payment_request_issue
from funds.tasks import import_statement
from tests import services
from tests.factories.contributors import PledgeFactory
from tests.funds.statements import for_fund, statement_tasks
from tests.funds.test_camt import _document
from tests.workers import celery_worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
UPLOADS = 10


def _statement(reference: str, statement_id: str) -> bytes:
    entry = (
        '<Ntry><Amt Ccy="EUR">30.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
        f"<AcctSvcrRef>BANK-{statement_id}</AcctSvcrRef>"
        f"<AddtlNtryInf>Ref {reference}</AddtlNtryInf></Ntry>"
    )
    return for_fund(_document(entry, statement_id=statement_id))


def test_the_same_transfer_in_ten_parallel_statements_is_booked_once() -> None:
    services.need(services.is_postgresql(), "row locks need PostgreSQL")
    request = payment_request_issue(
        pledge=PledgeFactory.create(amount_cents=3_000, payment_method="bank_transfer")
    )
    contents = [_statement(request.reference, f"STMT-{index}") for index in range(UPLOADS)]

    def upload(index: int) -> bool:
        try:
            return bank_statement_import(
                content=contents[index], filename=f"{index}.xml", actor=None
            ).created
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=UPLOADS) as pool:
        created = list(pool.map(upload, range(UPLOADS)))
    assert created == [True] * UPLOADS
    statuses = sorted(BankStatementLine.objects.values_list("status", flat=True))
    assert statuses == [StatementLineStatus.BOOKED] + [StatementLineStatus.OVERPAID] * 9
    assert list(Receipt.objects.values_list("gross_cents", flat=True)) == [3_000]
    request.refresh_from_db()
    assert (request.status, request.received_cents) == (PaymentRequestStatus.PAID, 3_000)
    assert books_check() == []


def test_a_real_worker_imports_an_uploaded_statement(tmp_path: Path) -> None:
    services.need(services.redis_reachable(), "no Redis reachable (set REDIS_URL)")
    services.need(
        services.is_postgresql(),
        "a worker in another process needs the PostgreSQL test database (set DATABASE_URL)",
    )
    request = payment_request_issue(
        pledge=PledgeFactory.create(amount_cents=3_000, payment_method="bank_transfer")
    )
    queued: list[dict[str, Any]]
    with statement_tasks(run=False) as queued, transaction.atomic():
        bank_statement_import(
            content=_statement(request.reference, "W-1"),
            filename="w.xml",
            actor=None,
            process=False,
        )
    statement = BankStatement.objects.get()
    assert queued == [{"statement_id": statement.pk}]
    assert statement.status == BankStatementStatus.RECEIVED
    queue = f"test-{uuid.uuid4().hex[:8]}"
    output = tmp_path / "worker.log"
    with output.open("w") as log, celery_worker(queue=queue, output=log) as worker:
        import_statement.apply_async(kwargs=queued[0], queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            statement.refresh_from_db()
            if statement.status == BankStatementStatus.DONE:
                break
            time.sleep(0.2)
        assert worker.poll() is None, output.read_text()
    statement.refresh_from_db()
    assert (statement.status, statement.lines_done) == (BankStatementStatus.DONE, 1)
    request.refresh_from_db()
    assert (request.status, Receipt.objects.get().gross_cents) == (PaymentRequestStatus.PAID, 3_000)
    assert books_check() == []
