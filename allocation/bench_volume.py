"""The volume `manage.py bench_allocation` runs on, built with COPY (PostgreSQL
only): the catalogue every size shares (admitted projects with their ledger
accounts, contributors, pledges, a released round in force) and, per size, a
month of receipts with their payments, receipt journals and legs, and earmark
lines (0 to 3 per receipt). Kept apart from the command, which times the run on
it."""

from __future__ import annotations

import random
import uuid
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from django.db import connection, models

from contributors.enums import ContributorKind, PaymentMethod, PledgeFrequency, PledgeStatus
from contributors.models import Contributor, Pledge
from funds.enums import AccountKind, JournalSource, PaymentStatus
from funds.models import Journal, JournalLeg, Payment, Receipt, ReceiptEarmark
from funds.services import ledger_account
from governance.enums import BallotKind, BallotStatus
from governance.models import Ballot
from governance.tally import frac_str
from librery.rows import RowsError, copy_statement
from projects.enums import ProjectStatus
from projects.models import Project

CONTRIBUTORS = 4_000
PLEDGES = 6_000
ROUND_PROJECTS = 500


class BenchVolumeError(Exception):
    """A model whose fields COPY cannot fill (one added later without a default)."""


def _reserve_ids(model: type[models.Model], count: int) -> int:  # pragma: postgresql only
    """The first of `count` ids taken from `model`'s sequence for rows we COPY in."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])  # noqa: SLF001 -- Options API
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s)", [sequence])
        first = int(cursor.fetchone()[0])
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return first


def _copy(  # pragma: postgresql only
    model: type[models.Model], columns: list[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """COPY `rows` (values of the fields `columns`, by attname, JSON already
    serialised) into `model`'s table; every other field gets its default (`now`
    for auto timestamps), as `librery.rows` fills them."""
    try:
        sql, tail = copy_statement(model, columns)
    except RowsError as error:  # pragma: no cover -- a field added to a model later
        raise BenchVolumeError(str(error)) from None
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row + tail)


@dataclass(frozen=True)
class Catalogue:
    """What every size shares: projects, contributors, pledges and accounts."""

    project_ids: range
    pledge_ids: range
    pledge_contributor: array[int]
    cash_account: int
    fees_account: int
    unallocated_account: int


def build_catalogue(  # pragma: postgresql only
    rng: random.Random, at: datetime, count: int
) -> Catalogue:
    """The projects (each with its ledger account, as a fund that has run
    before has them), contributors, pledges and the round in force."""
    first_project = _reserve_ids(Project, count)
    token = uuid.UUID(int=rng.getrandbits(128)).hex[:8]
    _copy(
        Project,
        ["id", "name", "slug", "status"],
        (
            (first_project + i, f"Bench project {i}", f"bench-{token}-{i}", ProjectStatus.ADMITTED)
            for i in range(count)
        ),
    )
    for project in Project.objects.filter(pk__gte=first_project).order_by("pk"):
        ledger_account(kind=AccountKind.PROJECT, project=project)
    first_contributor = _reserve_ids(Contributor, CONTRIBUTORS)
    _copy(
        Contributor,
        ["id", "kind", "name"],
        (
            (first_contributor + i, ContributorKind.PERSON, f"Bench contributor {i}")
            for i in range(CONTRIBUTORS)
        ),
    )
    first_pledge = _reserve_ids(Pledge, PLEDGES)
    owners = array("q", (first_contributor + rng.randrange(CONTRIBUTORS) for _ in range(PLEDGES)))
    _copy(
        Pledge,
        [
            "id",
            "contributor_id",
            "frequency",
            "amount_cents",
            "payment_method",
            "status",
            "idempotency_token",
        ],
        (
            (
                first_pledge + i,
                owners[i],
                PledgeFrequency.MONTHLY,
                1_000,
                PaymentMethod.CARD,
                PledgeStatus.ACTIVE,
                uuid.UUID(int=rng.getrandbits(128)),
            )
            for i in range(PLEDGES)
        ),
    )
    projects = range(first_project, first_project + count)
    weights = {p: rng.randint(1, 100) for p in rng.sample(projects, min(ROUND_PROJECTS, count))}
    total = sum(weights.values())
    # Nine tenths of the pool shared, the rest kept: both pool branches run.
    shares = {str(p): frac_str(Fraction(9 * w, 10 * total)) for p, w in sorted(weights.items())}
    Ballot.objects.create(
        kind=BallotKind.ROUND,
        title="Benchmark round",
        status=BallotStatus.RELEASED,
        closes_at=at - timedelta(days=2),
        released_at=at - timedelta(days=1),
        adopted=True,
        decision_number=f"BENCH-{token}",
        result={"shares": shares},
    )
    return Catalogue(
        project_ids=projects,
        pledge_ids=range(first_pledge, first_pledge + PLEDGES),
        pledge_contributor=owners,
        cash_account=ledger_account(kind=AccountKind.STRIPE_CLEARING).pk,
        fees_account=ledger_account(kind=AccountKind.PROCESSOR_FEES).pk,
        unallocated_account=ledger_account(kind=AccountKind.UNALLOCATED).pk,
    )


@dataclass(frozen=True)
class Month:  # pragma: postgresql only
    """One size's receipts, kept as compact arrays while COPY writes each table."""

    start: datetime
    count: int
    first_payment: int
    first_journal: int
    first_receipt: int
    pledge: array[int]  # index into the catalogue's pledges
    gross: array[int]
    second: array[int]  # seconds after the month's start
    earmarks: array[int]  # per receipt: how many lines
    line_project: array[int]
    line_share: array[int]

    def fee(self, i: int) -> int:
        return 25 + self.gross[i] * 14 // 1000  # a card processor's 0.25 EUR + 1.4 %

    def lines(self) -> Iterator[tuple[int, int, int]]:
        """(receipt index, project id, share_bp) for every earmark line."""
        line = 0
        for i, count in enumerate(self.earmarks):
            for _ in range(count):
                yield i, self.line_project[line], self.line_share[line]
                line += 1


def draw_month(  # pragma: postgresql only
    rng: random.Random, catalogue: Catalogue, start: datetime, end: datetime, count: int
) -> Month:
    seconds = int((end - start).total_seconds())
    month = Month(
        start=start,
        count=count,
        first_payment=_reserve_ids(Payment, count),
        first_journal=_reserve_ids(Journal, count),
        first_receipt=_reserve_ids(Receipt, count),
        pledge=array("i"),
        gross=array("q"),
        second=array("i"),
        earmarks=array("b"),
        line_project=array("q"),
        line_share=array("i"),
    )
    projects = catalogue.project_ids
    for _ in range(count):
        month.pledge.append(rng.randrange(PLEDGES))
        month.gross.append(rng.randint(500, 20_000))
        month.second.append(rng.randrange(seconds))
        lines = rng.randrange(4)  # 0 to 3 lines, at most 3 x 1666 = 4998 bp in all
        month.earmarks.append(lines)
        for project_id in rng.sample(projects, lines):
            month.line_project.append(project_id)
            month.line_share.append(rng.randint(1, 1666))
    return month


def copy_month(month: Month, catalogue: Catalogue) -> int:  # pragma: postgresql only
    """Payments, receipt journals and their legs, receipts and earmark lines."""
    count, pledges = month.count, catalogue.pledge_ids
    _copy(
        Payment,
        ["id", "pledge_id", "method", "status", "amount_cents", "idempotency_key"],
        (
            (
                month.first_payment + i,
                pledges[month.pledge[i]],
                PaymentMethod.CARD,
                PaymentStatus.SUCCEEDED,
                month.gross[i],
                f"bench-payment-{month.first_payment + i}",
            )
            for i in range(count)
        ),
    )
    received = [month.start + timedelta(seconds=s) for s in month.second]
    _copy(
        Journal,
        ["id", "source", "external_id", "memo", "booked_at"],
        (
            (
                month.first_journal + i,
                JournalSource.RECEIPT,
                f"payment-{month.first_payment + i}",
                f"Receipt of payment #{month.first_payment + i}",
                received[i],
            )
            for i in range(count)
        ),
    )
    _copy(
        JournalLeg,
        ["journal_id", "account_id", "amount_cents"],
        (
            leg
            for i in range(count)
            for leg in (
                (month.first_journal + i, catalogue.cash_account, month.gross[i] - month.fee(i)),
                (month.first_journal + i, catalogue.fees_account, month.fee(i)),
                (month.first_journal + i, catalogue.unallocated_account, -month.gross[i]),
            )
        ),
    )
    snapshots: list[list[str]] = [[] for _ in range(count)]
    for i, project_id, share in month.lines():
        snapshots[i].append(f'{{"project_id": {project_id}, "share_bp": {share}}}')
    _copy(
        Receipt,
        [
            "id",
            "payment_id",
            "pledge_id",
            "contributor_id",
            "gross_cents",
            "processor_fee_cents",
            "net_cents",
            "received_at",
            "earmarks",
            "journal_id",
        ],
        (
            (
                month.first_receipt + i,
                month.first_payment + i,
                pledges[month.pledge[i]],
                catalogue.pledge_contributor[month.pledge[i]],
                month.gross[i],
                month.fee(i),
                month.gross[i] - month.fee(i),
                received[i],
                f"[{', '.join(snapshots[i])}]",
                month.first_journal + i,
            )
            for i in range(count)
        ),
    )
    del snapshots, received
    _copy(
        ReceiptEarmark,
        ["receipt_id", "project_id", "share_bp"],
        ((month.first_receipt + i, p, s) for i, p, s in month.lines()),
    )
    with connection.cursor() as cursor:
        for model in (Payment, Journal, JournalLeg, Receipt, ReceiptEarmark):
            cursor.execute(f"ANALYZE {model._meta.db_table}")  # noqa: SLF001 -- Options API
    return len(month.line_project)
