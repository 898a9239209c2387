"""The volume `manage.py bench_pages` builds: a few years of a national fund
(`--scale 1`: 10 000 contributors, 20 000 pledges, 68 000 receipts over 36
months, 60 admitted projects among 300, 243 released rounds), each month
allocated by the real monthly run."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from allocation.services import allocation_month_run
from contributors.enums import (
    ContributorKind,
    OrganisationKind,
    PaymentMethod,
    PledgeFrequency,
    PledgeStatus,
    Visibility,
)
from contributors.models import Contributor, Earmark, Pledge
from funds.enums import AccountKind, JournalSource, PaymentStatus
from funds.models import Journal, JournalLeg, Payment, Receipt, ReceiptEarmark
from funds.selectors import FUND_TIME_ZONE
from funds.services import ledger_account, ledger_project_accounts
from governance.enums import BallotKind, BallotStatus
from governance.models import Ballot
from governance.tally import frac_str
from projects.enums import ProjectStatus
from projects.models import Project, ProjectUsage
from projects.services import projects_written

BASE_DIR = Path(settings.BASE_DIR)
FIRST_MONTH = (2023, 1)
BATCH = 2_000
WORDS = (
    "cartographie géographique libre",
    "bureautique tableur traitement de texte",
    "messagerie chiffrée collaborative",
    "gestion électronique des documents",
    "compilateur langage de programmation",
    "base de données relationnelle",
    "visioconférence web temps réel",
    "supervision réseau serveurs",
    "comptabilité publique marchés",
    "éducation apprentissage en ligne",
)
SEARCHED = "cartographie"


@dataclass(frozen=True)
class Volume:
    contributors: int
    pledges: int
    receipts: int
    admitted: int
    projects: int
    rounds: int
    months: int


def volume(scale: float) -> Volume:
    """The issue's volume times `scale` (a few of each at the smallest)."""

    def times(count: int, least: int) -> int:
        return max(least, round(count * scale))

    return Volume(
        contributors=times(10_000, 20),
        pledges=times(20_000, 30),
        receipts=times(68_000, 60),
        admitted=times(60, 5),
        projects=times(300, 12),
        rounds=times(243, 2),
        months=max(2, min(36, round(36 * scale))),
    )


def period_name(index: int) -> str:
    months = FIRST_MONTH[1] - 1 + index
    return f"{FIRST_MONTH[0] + months // 12:04d}-{months % 12 + 1:02d}"


def _month_start(index: int) -> datetime:
    period = period_name(index)
    return datetime(int(period[:4]), int(period[5:]), 1, tzinfo=FUND_TIME_ZONE)


def _projects(size: Volume) -> list[int]:
    """`size.projects` projects, the first `size.admitted` admitted; their ids."""
    rows = []
    for i in range(size.projects):
        words = WORDS[i % len(WORDS)]
        rows.append(
            Project(
                name=f"Bench {words.split()[0].capitalize()} {i}",
                slug=f"bench-{i}",
                summary=f"Logiciel libre de {words}.",
                summary_en=f"Free software number {i}.",
                description=f"{words.capitalize()}: un commun numérique. " * 5,
                licences=["MIT"] if i % 2 else ["GPL-3.0-or-later"],
                tags=[words.split()[0], "bench"],
                status=ProjectStatus.ADMITTED if i < size.admitted else ProjectStatus.PROPOSED,
            )
        )
    ids = [p.pk for p in Project.objects.bulk_create(rows, batch_size=BATCH)]
    ProjectUsage.objects.bulk_create(
        ProjectUsage(project_id=pk, organisation=f"Commune {pk}", is_public_body=True)
        for pk in ids[:: max(1, len(ids) // 20)]
    )
    projects_written(project_ids=ids)  # the stored search vector, as the services keep it
    ledger_project_accounts(project_ids=set(ids[: size.admitted]))
    return ids


def _contributors(rng: random.Random, size: Volume) -> list[int]:
    kinds = [
        OrganisationKind.LOCAL_AUTHORITY,
        OrganisationKind.COMPANY,
        OrganisationKind.ASSOCIATION,
    ]
    rows = []
    for i in range(size.contributors):
        organisation = i % 10 == 0
        rows.append(
            Contributor(
                kind=ContributorKind.ORGANISATION if organisation else ContributorKind.PERSON,
                organisation_kind=kinds[i % 3] if organisation else "",
                name=f"Bench contributor {i}",
                visibility=rng.choice(
                    [Visibility.NAMED, Visibility.NAMED, Visibility.ANONYMOUS, Visibility.SECRET]
                ),
            )
        )
    return [c.pk for c in Contributor.objects.bulk_create(rows, batch_size=BATCH)]


def _pledges(
    rng: random.Random, size: Volume, contributors: list[int], admitted: list[int]
) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """(pledge id, contributor id, earmarks) of every pledge."""
    rows = [
        Pledge(
            contributor_id=rng.choice(contributors),
            frequency=PledgeFrequency.MONTHLY,
            amount_cents=rng.choice([500, 1_000, 2_000, 5_000]),
            payment_method=PaymentMethod.CARD,
            status=PledgeStatus.ACTIVE,
            idempotency_token=uuid.UUID(int=rng.getrandbits(128)),
        )
        for _ in range(size.pledges)
    ]
    pledges = Pledge.objects.bulk_create(rows, batch_size=BATCH)
    result, earmarks = [], []
    for pledge in pledges:
        lines = [(p, rng.randint(500, 1_666)) for p in rng.sample(admitted, rng.randrange(4))]
        earmarks += [Earmark(pledge_id=pledge.pk, project_id=p, share_bp=s) for p, s in lines]
        result.append((pledge.pk, pledge.contributor_id, lines))
    Earmark.objects.bulk_create(earmarks, batch_size=BATCH)
    return result


def _rounds(rng: random.Random, size: Volume, admitted: list[int]) -> None:
    """Released pool rounds, spread over the months (each run takes the latest)."""
    rows = []
    for i in range(size.rounds):
        month = i * size.months // size.rounds
        at = _month_start(month) + timedelta(days=1 + i % 20)
        weights = {p: rng.randint(1, 100) for p in rng.sample(admitted, max(1, len(admitted) // 2))}
        total = sum(weights.values())
        shares = {str(p): frac_str(Fraction(w, total)) for p, w in sorted(weights.items())}
        votes = [{"member": n, "points": {str(p): 1 for p in weights}} for n in range(24)]
        rows.append(
            Ballot(
                kind=BallotKind.ROUND,
                title=f"Bench round {i}",
                status=BallotStatus.RELEASED,
                closes_at=at - timedelta(hours=1),
                released_at=at,
                adopted=True,
                decision_number=f"B-{i:05d}",
                result={"shares": shares},
                bundle={"votes": votes},
            )
        )
    Ballot.objects.bulk_create(rows, batch_size=500)


def _receipts(
    rng: random.Random,
    month: int,
    count: int,
    pledges: list[tuple[int, int, list[tuple[int, int]]]],
    accounts: tuple[int, int, int],
) -> None:
    """`count` card receipts in `month`: payments, journals and their three legs,
    receipts with their earmarks snapshot and lines."""
    start = _month_start(month)
    seconds = int((_month_start(month + 1) - start).total_seconds())
    cash, fees, unallocated = accounts
    drawn = [rng.choice(pledges) for _ in range(count)]
    gross = [rng.randint(500, 20_000) for _ in range(count)]
    fee = [25 + g * 14 // 1000 for g in gross]
    at = [start + timedelta(seconds=rng.randrange(seconds)) for _ in range(count)]
    token = f"{month}-{rng.getrandbits(32):08x}"
    payments = Payment.objects.bulk_create(
        (
            Payment(
                pledge_id=pledge,
                method=PaymentMethod.CARD,
                status=PaymentStatus.SUCCEEDED,
                amount_cents=gross[i],
                idempotency_key=f"bench-{token}-{i}",
            )
            for i, (pledge, _contributor, _lines) in enumerate(drawn)
        ),
        batch_size=BATCH,
    )
    journals = Journal.objects.bulk_create(
        (
            Journal(
                source=JournalSource.RECEIPT,
                external_id=f"payment-{payment.pk}",
                memo=f"Receipt of payment #{payment.pk}",
                booked_at=at[i],
            )
            for i, payment in enumerate(payments)
        ),
        batch_size=BATCH,
    )
    JournalLeg.objects.bulk_create(
        (
            leg
            for i, journal in enumerate(journals)
            for leg in (
                JournalLeg(journal=journal, account_id=cash, amount_cents=gross[i] - fee[i]),
                JournalLeg(journal=journal, account_id=fees, amount_cents=fee[i]),
                JournalLeg(journal=journal, account_id=unallocated, amount_cents=-gross[i]),
            )
        ),
        batch_size=BATCH,
    )
    receipts = Receipt.objects.bulk_create(
        (
            Receipt(
                payment=payments[i],
                pledge_id=pledge,
                contributor_id=contributor,
                gross_cents=gross[i],
                processor_fee_cents=fee[i],
                net_cents=gross[i] - fee[i],
                received_at=at[i],
                earmarks=[{"project_id": p, "share_bp": s} for p, s in lines],
                journal=journals[i],
            )
            for i, (pledge, contributor, lines) in enumerate(drawn)
        ),
        batch_size=BATCH,
    )
    ReceiptEarmark.objects.bulk_create(
        (
            ReceiptEarmark(receipt=receipt, project_id=p, share_bp=s)
            for receipt, (_pledge, _contributor, lines) in zip(receipts, drawn, strict=True)
            for p, s in lines
        ),
        batch_size=BATCH,
    )


def fill(*, scale: float, seed: int = 16, report: Callable[[str], None] = print) -> Volume:
    """Fill the (empty, migrated) default database with `scale` times the issue's
    volume, each month allocated by the real monthly run."""
    rng = random.Random(seed)  # noqa: S311 -- test data, not secrets
    size = volume(scale)
    projects = _projects(size)
    admitted = projects[: size.admitted]
    contributors = _contributors(rng, size)
    pledges = _pledges(rng, size, contributors, admitted)
    _rounds(rng, size, admitted)
    accounts = (
        ledger_account(kind=AccountKind.STRIPE_CLEARING).pk,
        ledger_account(kind=AccountKind.PROCESSOR_FEES).pk,
        ledger_account(kind=AccountKind.UNALLOCATED).pk,
    )
    for month in range(size.months):
        count = size.receipts * (month + 1) // size.months - size.receipts * month // size.months
        with transaction.atomic():  # a journal and its legs commit together
            _receipts(rng, month, count, pledges, accounts)
        allocation_month_run(
            period=period_name(month), at=_month_start(month + 1) + timedelta(days=1)
        )
        report(f"month {period_name(month)}: {count} receipts allocated")
    if connection.vendor == "postgresql":  # pragma: postgresql only
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return size
