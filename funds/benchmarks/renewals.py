"""The monthly renewal benchmark (issue 16), for `manage.py bench_money`.

Renewals: `pledges` monthly card pledges due today, charged by the daily
run's service (`pledges_charge_due`, Stripe answering at once with
`BenchStripe`), in milliseconds, statements and commits per pledge, with no
history and with `past` earlier payments. `run_committed` measures as
production runs, every transaction committed, against a plain-SQL baseline
that a minimal correct charge cannot do without: one INSERT of a payment row
per pledge, each committed on its own; and a lone charge's statements and
commits (the bar: 15 and 2). The older measure (`run`) builds and runs
everything in one transaction rolled back, against the INSERT alone (no
commit on either side). A nothing-due day: the statements of the daily run
with no pledge and with `idle` pledges not due, each with a history of failed
and retried months (the bar: the same number), rolled back."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta
from typing import TextIO

from django.db import connection, transaction
from django.utils import timezone

from contributors.enums import PledgeFrequency, PledgeStatus
from funds.benchmarks.common import AMOUNT_CENTS, BenchStripe, Counter, accounts_ready, pledges
from funds.benchmarks.database import Committed
from funds.enums import PaymentEventSource, PaymentMethod, PaymentStatus
from funds.models import Payment, PaymentEvent
from funds.stripe.client import use_gateway
from funds.stripe.renewals import CHARGE_BATCH, pledges_charge_due

BAR = 2.0
MAX_CHARGE_QUERIES = 15
MAX_CHARGE_COMMITS = 2
_BASELINE = (
    f"INSERT INTO {Payment._meta.db_table} "  # noqa: S608, SLF001 -- the table name is ours
    "(pledge_id, method, status, amount_cents, currency, period_date, attempt, "
    "idempotency_key, failure_code, failure_message, created_at, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '', '', %s, %s)"
)


def _history(pledge_ids: list[int], count: int, token: str) -> None:
    """`count` succeeded months before 2020, spread over the pledges."""
    Payment.objects.bulk_create(
        (
            Payment(
                pledge_id=pledge_ids[i % len(pledge_ids)],
                method=PaymentMethod.CARD,
                status=PaymentStatus.SUCCEEDED,
                amount_cents=AMOUNT_CENTS,
                period_date=date(
                    1900 + (i // len(pledge_ids)) // 12, (i // len(pledge_ids)) % 12 + 1, 1
                ),
                idempotency_key=f"bench-{token}-past-{i}",
            )
            for i in range(count)
        ),
        batch_size=5000,
    )


def _baseline_ms(pledge_ids: list[int], today: date, token: str) -> float:
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for pledge_id in pledge_ids:
            cursor.execute(
                _BASELINE,
                [
                    pledge_id,
                    PaymentMethod.CARD.value,
                    PaymentStatus.SUCCEEDED.value,
                    AMOUNT_CENTS,
                    "EUR",
                    connection.ops.adapt_datefield_value(today.replace(day=1) - timedelta(days=1)),
                    1,
                    f"bench-{token}-baseline-{pledge_id}",
                    adapt(now),
                    adapt(now),
                ],
            )
    return (time.perf_counter() - started) * 1000 / len(pledge_ids)


def _renewals(stdout: TextIO, count: int, past: int) -> None:
    token = uuid.uuid4().hex[:8]
    today = timezone.localdate()
    with transaction.atomic(), use_gateway(BenchStripe()):
        accounts_ready()
        ids = _due(count, token, today)
        if past:
            _history(ids, past, token)
        baseline = _baseline_ms(ids, today, token)
        counter = Counter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            run = pledges_charge_due(today=today)
            ours = (time.perf_counter() - started) * 1000 / count
        transaction.set_rollback(True)
    ratio = ours / baseline
    stdout.write(
        f"renewals, old style (one transaction rolled back, no commit), {past} past payments: "
        f"{run.charged}/{count} charged; {ours:.2f} ms per "
        f"pledge vs {baseline:.3f} ms plain-SQL insert = {ratio:.1f} x "
        f"({'PASS' if ratio <= BAR else 'FAIL'} <= {BAR} x); "
        f"{counter.queries / count:.1f} statements per pledge\n"
    )


def _due(count: int, token: str, today: date) -> list[int]:
    made = pledges(
        count,
        frequency=PledgeFrequency.MONTHLY,
        token=token,
        status=PledgeStatus.ACTIVE,
        next_charge_date=today,
    )
    return [pledge.pk for pledge in made]


def _renewals_committed(stdout: TextIO, count: int, past: int) -> None:
    """Charge `count` pledges due, with `past` earlier payments, every
    transaction committed, against a committed INSERT per pledge."""
    token = uuid.uuid4().hex[:8]
    today = timezone.localdate()
    with use_gateway(BenchStripe()):
        accounts_ready()
        ids = _due(count, token, today)
        if past:
            _history(ids, past, token)
        baseline = _baseline_ms(ids, today, token)  # autocommit: each INSERT commits
        counted = Committed()
        with counted.counting():
            started = time.perf_counter()
            run = pledges_charge_due(today=today)
            ours = (time.perf_counter() - started) * 1000 / count
    ratio = ours / baseline
    stdout.write(
        f"renewals, committed, {past} past payments: {run.charged}/{count} charged; "
        f"{ours:.2f} ms per pledge vs {baseline:.3f} ms plain-SQL INSERT + COMMIT = "
        f"{ratio:.2f} x ({'PASS' if ratio <= BAR else 'FAIL'} <= {BAR} x); "
        f"{counted.queries / count:.2f} statements and {counted.commits / count:.2f} commits "
        f"per pledge (batches of up to {CHARGE_BATCH})\n"
    )


def _lone_charge(stdout: TextIO) -> None:
    """One pledge due, alone in its batch: the statements and commits of its
    charge, the day's selection of retries included."""
    today = timezone.localdate()
    with use_gateway(BenchStripe()):
        _due(1, uuid.uuid4().hex[:8], today)
        counted = Committed()
        with counted.counting():
            run = pledges_charge_due(today=today)
    within = counted.queries <= MAX_CHARGE_QUERIES and counted.commits <= MAX_CHARGE_COMMITS
    stdout.write(
        f"a lone renewal, committed: {run.charged}/1 charged in {counted.queries} statements "
        f"and {counted.commits} commits, the day's selections included "
        f"({'PASS' if within else 'FAIL'} <= {MAX_CHARGE_QUERIES} and {MAX_CHARGE_COMMITS})\n"
    )


def run_committed(stdout: TextIO, *, renewals: int, past: int) -> None:
    """Print the committed renewal rows (no history, then `past` payments) and a lone charge's."""
    for history in (0, past):
        _renewals_committed(stdout, renewals, history)
    _lone_charge(stdout)


def _idle_queries(count: int) -> int:
    """Statements of a day's run with `count` monthly pledges, none due, each
    with a month retried successfully and a month whose retries ran out."""
    token = uuid.uuid4().hex[:8]
    today = timezone.localdate()
    with transaction.atomic(), use_gateway(BenchStripe()):
        made = pledges(
            count,
            frequency=PledgeFrequency.MONTHLY,
            token=token,
            status=PledgeStatus.ACTIVE,
            next_charge_date=today + timedelta(days=10),
        )
        failed = Payment.objects.bulk_create(
            Payment(
                pledge=pledge,
                method=PaymentMethod.CARD,
                status=PaymentStatus.FAILED,
                amount_cents=AMOUNT_CENTS,
                period_date=date(1900, 1, 1),
                attempt=attempt,
                idempotency_key=f"bench-{token}-{pledge.pk}-{attempt}",
            )
            for pledge in made
            for attempt in range(1, 5)
        )
        PaymentEvent.objects.bulk_create(
            PaymentEvent(
                payment=payment,
                status=PaymentStatus.FAILED,
                at=timezone.now(),
                source=PaymentEventSource.SYSTEM,
            )
            for payment in failed
        )
        counter = Counter()
        with connection.execute_wrapper(counter):
            pledges_charge_due(today=today)
        transaction.set_rollback(True)
    return counter.queries


def run(stdout: TextIO, *, renewals: int, past: int, idle: int) -> None:
    """Print the older renewal rows (no history, then `past` payments, rolled
    back) and the nothing-due day."""
    for history in (0, past):
        _renewals(stdout, renewals, history)
    empty, busy = _idle_queries(0), _idle_queries(idle)
    stdout.write(
        f"nothing due: {empty} statements with no pledge, {busy} with {idle} pledges "
        f"not due and their failed months ({'PASS' if empty == busy else 'FAIL'}: constant)\n"
    )
