"""The CAMT.053 statement benchmark (issue 16): `run(stdout, sizes)`, called by
`manage.py bench_money`.

For each size N it builds, inside a transaction rolled back at the end, N
payment requests awaiting payment (half for one-time pledges, half for monthly
ones, a third of them earmarked) and a CAMT.053 statement of the fund's
account with one credit per request, quoting its reference, for the amount
due: every entry is matched and booked, the worst case. It then times the
upload (`bank_statement_import`, as the page calls it) and the import task's
work (`bank_statement_process`, every batch), counting SQL statements, and
prints milliseconds per entry (wall clock, and this process's CPU time, which
leaves the database server's aside and depends less on what else the machine
runs) and queries per entry.

Batches are savepoints here, each followed by what its commit would check
(PostgreSQL's deferred constraint triggers: the ledger's balance checks,
foreign keys), inside the timed part. The database is left as it was found
(sequences aside); the mails the booking enqueues for after each commit are
never sent."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any, TextIO
from xml.sax.saxutils import escape

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from contributors.enums import ContributorKind, PaymentMethod, PledgeFrequency, PledgeStatus
from contributors.models import Contributor, Earmark, Pledge
from funds.enums import PaymentStatus
from funds.models import Payment, PaymentRequest
from funds.services.bank_transfers import structured_reference
from funds.services.statements import bank_statement_import, bank_statement_process
from projects.enums import ProjectStatus
from projects.models import Project

# Payment requests of the benchmark are numbered in a year no real one has.
YEAR = 1900
PROJECTS = 20
BAR_MS = 3.0
NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


# The statement that ends each batch of the import: its progress saved.
BATCH_END = 'UPDATE "funds_bankstatement" SET "lines_done"'


class QueryCounter:
    """A database cursor hook that counts the SQL statements run and, after
    each batch, runs what the batch's commit would check (nothing commits in
    the benchmark): each batch pays for its own deferred checks, as in a worker."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        self.count += 1
        result = execute(sql, *args)
        if sql.startswith(BATCH_END):
            _settle_deferred_checks()
        return result


def _requests(size: int, token: str) -> list[PaymentRequest]:
    """`size` payment requests awaiting payment, with their pledges and payments."""
    first = (
        PaymentRequest.objects.filter(year=YEAR).aggregate(last=Max("sequence"))["last"] or 0
    ) + 1
    projects = Project.objects.bulk_create(
        Project(name=f"Bench {token} {i}", slug=f"bench-{token}-{i}", status=ProjectStatus.ADMITTED)
        for i in range(PROJECTS)
    )
    contributors = Contributor.objects.bulk_create(
        Contributor(kind=ContributorKind.PERSON, name=f"Bench contributor {i}")
        for i in range((size + 1) // 2)
    )
    pledges = Pledge.objects.bulk_create(
        Pledge(
            contributor=contributors[i // 2],
            frequency=PledgeFrequency.ONE_TIME if i % 2 else PledgeFrequency.MONTHLY,
            amount_cents=500 + (i * 37) % 19_500,
            payment_method=PaymentMethod.BANK_TRANSFER,
            status=PledgeStatus.AWAITING_PAYMENT,
            idempotency_token=uuid.uuid4(),
        )
        for i in range(size)
    )
    Earmark.objects.bulk_create(
        Earmark(pledge=pledge, project=projects[(i + shift) % PROJECTS], share_bp=1000 + shift)
        for i, pledge in enumerate(pledges)
        if i % 3 == 0
        for shift in range(2)
    )
    payments = Payment.objects.bulk_create(
        Payment(
            pledge=pledge,
            method=PaymentMethod.BANK_TRANSFER,
            status=PaymentStatus.PENDING,
            amount_cents=pledge.amount_cents,
            idempotency_key=f"bench-{token}-{i}",
        )
        for i, pledge in enumerate(pledges)
    )
    now = timezone.now()
    return PaymentRequest.objects.bulk_create(
        PaymentRequest(
            pledge=pledge,
            payment=payment,
            year=YEAR,
            sequence=first + i,
            number=f"{YEAR}-{first + i:06d}",
            reference=structured_reference(year=YEAR, sequence=first + i),
            amount_cents=pledge.amount_cents,
            issued_at=now,
        )
        for i, (pledge, payment) in enumerate(zip(pledges, payments, strict=True))
    )


def _entry(index: int, request: PaymentRequest, booked: date) -> str:
    cents = request.amount_cents
    return (
        f"<Ntry><NtryRef>{index + 1}</NtryRef>"
        f'<Amt Ccy="EUR">{cents // 100}.{cents % 100:02d}</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
        f"<BookgDt><Dt>{booked.isoformat()}</Dt></BookgDt>"
        f"<ValDt><Dt>{booked.isoformat()}</Dt></ValDt>"
        f"<AcctSvcrRef>BENCH-{request.number}</AcctSvcrRef>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd>"
        "</Fmly></Domn></BkTxCd>"
        "<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>"
        f"<RltdPties><Dbtr><Nm>{escape(f'Contributor {index}')}</Nm></Dbtr></RltdPties>"
        f"<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
        f"<Ref>{request.reference}</Ref></CdtrRefInf></Strd></RmtInf>"
        "</TxDtls></NtryDtls></Ntry>\n"
    )


def statement_document(requests: Sequence[PaymentRequest], token: str) -> bytes:
    """A CAMT.053 statement of the fund's account paying each of `requests`."""
    booked = timezone.localdate() - timedelta(days=1)
    created = timezone.now().isoformat(timespec="seconds")
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NAMESPACE}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>BENCH-{token}</MsgId><CreDtTm>{created}</CreDtTm></GrpHdr>"
        f"<Stmt><Id>BENCH-{token}</Id><CreDtTm>{created}</CreDtTm>"
        f"<Acct><Id><IBAN>{settings.FUND_IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>\n"
    )
    body = "".join(_entry(i, request, booked) for i, request in enumerate(requests))
    return (head + body + "</Stmt></BkToCstmrStmt></Document>\n").encode()


def _settle_deferred_checks() -> None:
    """What a commit would check now (PostgreSQL's deferred constraint triggers)."""
    if connection.vendor == "postgresql":  # pragma: no branch -- one way per vendor
        with connection.cursor() as cursor:  # pragma: postgresql only
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _measure(stdout: TextIO, size: int) -> float:
    """One size, built and rolled back; returns the milliseconds per entry."""
    token = uuid.uuid4().hex[:8]
    with transaction.atomic():
        built = time.perf_counter()
        requests = _requests(size, token)
        content = statement_document(requests, token)
        _settle_deferred_checks()
        stdout.write(
            f"{size} entries: {size} payment requests and a {len(content) / 2**20:.1f} MiB "
            f"statement built ({time.perf_counter() - built:.1f} s)\n"
        )
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            imported = bank_statement_import(
                content=content, filename="bench.xml", actor=None, process=False
            )
            uploaded = time.perf_counter()
            upload_queries = counter.count
            cpu = time.process_time()
            statement = bank_statement_process(statement=imported.statements[0])
            _settle_deferred_checks()
            finished = time.perf_counter()
            cpu = time.process_time() - cpu
        booked = statement.lines.filter(status="booked").count()
        transaction.set_rollback(True)
    per_entry = (finished - uploaded) * 1000 / size
    stdout.write(
        f"  upload {(uploaded - started) * 1000:.0f} ms, {upload_queries} queries; "
        f"task {finished - uploaded:.2f} s for {booked} booked = {per_entry:.2f} ms per entry, "
        f"{(counter.count - upload_queries) / size:.1f} queries per entry, "
        f"{cpu * 1000 / size:.2f} ms of this process's CPU per entry (status {statement.status})\n"
    )
    return per_entry


def run(stdout: TextIO, sizes: Sequence[int]) -> None:
    """Book a statement of each of `sizes` entries and print its figures, then
    whether the bar holds (at most 3 ms per entry, linear: the largest size's
    cost per entry within 1.5 times the smallest's)."""
    figures = [(size, _measure(stdout, size)) for size in sizes]
    worst = max(ms for _size, ms in figures)
    growth = figures[-1][1] / figures[0][1]
    stdout.write(
        f"statements: at most {worst:.2f} ms per entry "
        f"({'PASS' if worst <= BAR_MS else 'FAIL'} <= {BAR_MS} ms); "
        f"{growth:.2f} x per entry at {figures[-1][0]} vs {figures[0][0]} "
        f"({'PASS' if growth <= 1.5 else 'FAIL'} <= 1.5 x, linear)\n"  # noqa: PLR2004
    )
