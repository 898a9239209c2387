"""Reads of the public transparency page: what came in by kind of contributor,
where it went (the fee, earmarks, the pool, each project, with the round),
payouts, the pool carried over and what is not allocated yet. Every figure is
summed in the database from the runs, their receipts and the payouts, in a
number of queries that does not grow with the data."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from django.core.cache import cache
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    F,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.expressions import Case, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext_lazy as _

from allocation.arithmetic import BP, UNITS_PER_CENT, apportion
from allocation.enums import DestinationStage, PayoutStatus, RunStatus
from allocation.models import AllocationRun, Payout, RunDestination, RunReceipt
from allocation.sankey import Node, Sankey, sankey
from contributors.enums import PUBLIC_BODY_KINDS, ContributorKind, OrganisationKind
from contributors.selectors_sbom import projects_sbom_contributors
from funds.models import Receipt, ReceiptEarmark
from funds.selectors import FUND_TIME_ZONE, MonthlyFunds, project_received_totals_cents
from projects.models import Project

# Kinds of contributor as the page groups them, in the order it shows them.
KIND_GROUPS: dict[str, Any] = {
    "public": _("Public bodies"),
    "company": _("Companies"),
    "association": _("Associations and foundations"),
    "person": _("People"),
    "other": _("Other organisations"),
}
FEE, EARMARKS, POOL = "fee", "earmarks", "pool"
CACHE_SECONDS = 600


def kind_group(prefix: str) -> Case:
    """An expression naming the group of the contributor at `prefix` (a path
    to a Contributor, ending with `__`)."""
    return Case(
        When(**{f"{prefix}kind": ContributorKind.PERSON}, then=Value("person")),
        When(**{f"{prefix}organisation_kind__in": PUBLIC_BODY_KINDS}, then=Value("public")),
        When(**{f"{prefix}organisation_kind": OrganisationKind.COMPANY}, then=Value("company")),
        When(
            **{
                f"{prefix}organisation_kind__in": [
                    OrganisationKind.ASSOCIATION,
                    OrganisationKind.FOUNDATION,
                ]
            },
            then=Value("association"),
        ),
        default=Value("other"),
        output_field=CharField(),
    )


@dataclass
class KindRow:
    """What one kind of contributor gave (net of processor fees), and how it
    split between the fee, earmarks and the pool."""

    key: str
    net_cents: int = 0
    fee_cents: int = 0
    earmarked_cents: int = 0
    pool_cents: int = 0

    @property
    def label(self) -> Any:
        return KIND_GROUPS[self.key]


@dataclass
class MonthRow:
    """One computed run, with its payouts."""

    run: AllocationRun
    paid_cents: int = 0  # Confirmed by the bank's statement.
    in_progress_cents: int = 0  # Ordered, not confirmed yet: pending or sent.
    failed_cents: int = 0

    @property
    def payouts_ordered_cents(self) -> int:
        """Paid, pending (in a batch, not sent to the bank yet) and sent."""
        return self.paid_cents + self.in_progress_cents


@dataclass
class Overview:
    """The figures of one month (`run`) or of every month (`run` None)."""

    run: AllocationRun | None
    months: list[MonthRow]
    kinds: list[KindRow]
    net_cents: int
    fee_cents: int
    earmarked_cents: int
    pool_in_cents: int
    pool_carried_in_cents: int
    pool_shared_cents: int
    pool_carried_out_cents: int
    paid_cents: int  # Confirmed by the bank's statement.
    in_progress_cents: int  # Ordered, not confirmed yet: pending or sent.
    unallocated_cents: int
    unallocated_count: int
    received_by_month: list[MonthlyFunds] = field(default_factory=list)
    paid_by_month: list[MonthlyFunds] = field(default_factory=list)

    @property
    def payouts_ordered_cents(self) -> int:
        """Paid, pending (in a batch, not sent to the bank yet) and sent."""
        return self.paid_cents + self.in_progress_cents

    @property
    def projects_received_cents(self) -> int:
        return self.earmarked_cents + self.pool_shared_cents


def _month_runs() -> list[AllocationRun]:
    """Every computed run, newest first: its figures, the round's decision number
    and ballot id; not the round's ballot itself (its bundle names every vote,
    25 KB stored for each run at ten times a national fund's volume), nor the
    round's fractions or the published document, which the page never shows."""
    return list(
        AllocationRun.objects.filter(status=RunStatus.COMPUTED)
        .defer("document", "round_fractions")
        .order_by("-period_start_at")
    )


def _payouts_by_run() -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {}
    for run_id, status, cents in (
        Payout.objects.values("batch__run_id", "status")
        .annotate(cents=Sum("amount_cents"))
        .values_list("batch__run_id", "status", "cents")
        .order_by()
    ):
        found.setdefault(run_id, {})[status] = int(cents)
    return found


# A run's split by kind of contributor (net, fee, earmarks, pool per kind). A
# computed run never changes, but a contributor may change kind: the kept split
# of past months follows within this time.
KINDS_SECONDS = 24 * 60 * 60
KindSplit = dict[str, tuple[int, int, int, int]]


def _kinds_of_runs(runs: dict[int, AllocationRun]) -> dict[int, KindSplit]:
    """Each run's net per kind, and its split apportioned from the exact units
    of allocation.md (each kind's parts sum to its net; they may differ from
    the run's destinations by a cent, rounded per destination over the month)."""
    net: dict[tuple[int, str], int] = {}
    for run_id, group, cents in (
        RunReceipt.objects.filter(run_id__in=runs)
        .annotate(group=kind_group("receipt__contributor__"))
        .values("run_id", "group")
        .annotate(cents=Sum("receipt__net_cents"))
        .values_list("run_id", "group", "cents")
        .order_by()
    ):
        net[(run_id, group)] = int(cents)
    # sum(net * share_bp) per run, kind and project; the run's fee multiplies after.
    earmarked: dict[tuple[int, str], int] = {}
    for run_id, group, project_id, weighted in (
        ReceiptEarmark.objects.filter(receipt__allocation__run_id__in=runs)
        .annotate(
            run_id=F("receipt__allocation__run_id"),
            group=kind_group("receipt__contributor__"),
        )
        .values("run_id", "group", "project_id")
        .annotate(
            weighted=Sum(F("receipt__net_cents") * F("share_bp"), output_field=BigIntegerField())
        )
        .values_list("run_id", "group", "project_id", "weighted")
        .order_by()
    ):
        if project_id in runs[run_id].eligible_project_ids:
            key = (run_id, group)
            earmarked[key] = earmarked.get(key, 0) + int(weighted)
    found: dict[int, KindSplit] = {pk: {} for pk in runs}
    for (run_id, group), cents in net.items():
        run = runs[run_id]
        fee_units = cents * run.fee_bp * BP
        earmark_units = earmarked.get((run_id, group), 0) * (BP - run.fee_bp)
        split = apportion(
            cents,
            {
                FEE: Fraction(fee_units, UNITS_PER_CENT),
                EARMARKS: Fraction(earmark_units, UNITS_PER_CENT),
                POOL: Fraction(cents * UNITS_PER_CENT - fee_units - earmark_units, UNITS_PER_CENT),
            },
            tie_key=[FEE, POOL, EARMARKS].index,
        ).amounts
        found[run_id][group] = (cents, split[FEE], split[EARMARKS], split[POOL])
    return found


def _kinds(runs: dict[int, AllocationRun]) -> list[KindRow]:
    """Each kind's net and split over `runs`: the sum of each run's, kept in the
    cache per run, so that the page rendered afresh (every `CACHE_SECONDS`, and
    after each run) reads only the runs not kept yet: at ten times a national
    fund, reading every run's receipts again took 3 s."""
    keys = {pk: f"transparency:kinds:{pk}:{run.document_sha256}" for pk, run in runs.items()}
    kept = cache.get_many(list(keys.values()))
    splits = {pk: kept[key] for pk, key in keys.items() if key in kept}
    missing = {pk: run for pk, run in runs.items() if pk not in splits}
    if missing:
        fresh = _kinds_of_runs(missing)
        cache.set_many({keys[pk]: split for pk, split in fresh.items()}, KINDS_SECONDS)
        splits.update(fresh)
    rows = {key: KindRow(key=key) for key in KIND_GROUPS}
    for split in splits.values():
        for group, (net, fee, earmarks, pool) in split.items():
            row = rows[group]
            row.net_cents += net
            row.fee_cents += fee
            row.earmarked_cents += earmarks
            row.pool_cents += pool
    return [row for row in rows.values() if row.net_cents or row.key != "other"]


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _even_months(rows: dict[date, int]) -> list[MonthlyFunds]:
    """Every month from the first with money to the last, a month without at 0."""
    if not rows:
        return []
    months, month, last = [], min(rows), max(rows)
    while month <= last:
        months.append(MonthlyFunds(month=month, amount_cents=rows.get(month, 0)))
        month = _next_month(month)
    return months


def _monthly(queryset: QuerySet[Any], at: str, amount: str) -> list[MonthlyFunds]:
    rows = (
        queryset.annotate(month=TruncMonth(at, tzinfo=FUND_TIME_ZONE))
        .values("month")
        .annotate(total=Sum(amount))
        .values_list("month", "total")
        .order_by()
    )
    return _even_months({month.date(): int(total) for month, total in rows})


def overview(*, run: AllocationRun | None = None) -> Overview:
    """The transparency figures of `run`'s month, or of every month."""
    all_runs = _month_runs()
    runs = [r for r in all_runs if run is None or r.pk == run.pk]
    payouts = _payouts_by_run()
    months = []
    for item in all_runs:
        statuses = payouts.get(item.pk, {})
        months.append(
            MonthRow(
                run=item,
                paid_cents=statuses.get(PayoutStatus.PAID, 0),
                in_progress_cents=statuses.get(PayoutStatus.PENDING, 0)
                + statuses.get(PayoutStatus.SENT, 0),
                failed_cents=statuses.get(PayoutStatus.FAILED, 0),
            )
        )
    chosen = [m for m in months if run is None or m.run.pk == run.pk]
    unallocated = Receipt.objects.filter(allocation__isnull=True).aggregate(
        cents=Coalesce(Sum("net_cents"), 0), count=Count("pk")
    )
    return Overview(
        run=run,
        months=months,
        kinds=_kinds({r.pk: r for r in runs}),
        net_cents=sum(r.net_cents for r in runs),
        fee_cents=sum(r.fee_cents for r in runs),
        earmarked_cents=sum(r.earmarked_cents for r in runs),
        pool_in_cents=sum(r.pool_in_cents for r in runs),
        pool_carried_in_cents=runs[-1].pool_carried_in_cents if runs else 0,
        pool_shared_cents=sum(r.pool_shared_cents for r in runs),
        pool_carried_out_cents=runs[0].pool_carried_out_cents if runs else 0,
        paid_cents=sum(m.paid_cents for m in chosen),
        in_progress_cents=sum(m.in_progress_cents for m in chosen),
        unallocated_cents=int(unallocated["cents"]),
        unallocated_count=int(unallocated["count"]),
        received_by_month=_monthly(Receipt.objects.all(), "received_at", "net_cents"),
        paid_by_month=_monthly(
            Payout.objects.filter(status=PayoutStatus.PAID), "paid_at", "amount_cents"
        ),
    )


def project_rows(*, run: AllocationRun | None = None) -> QuerySet[Any]:
    """What each project received, earmarked and from the pool, largest first
    (of `run`, or of every computed run): a queryset of dicts to paginate."""
    rows = RunDestination.objects.filter(
        run__status=RunStatus.COMPUTED, project__isnull=False
    ).exclude(cents=0)
    if run is not None:
        rows = rows.filter(run=run)
    return (
        rows.values("project_id", "project__name", "project__slug")
        .annotate(
            earmarked_cents=Coalesce(Sum("cents", filter=Q(stage=DestinationStage.RECEIPTS)), 0),
            pool_cents=Coalesce(Sum("cents", filter=Q(stage=DestinationStage.POOL)), 0),
            total_cents=Sum("cents"),
        )
        .order_by("-total_cents", "project__name", "project_id")
    )


def fingerprint() -> str:
    """Changes whenever a run is computed or a payout changes state (one query):
    the cache keys of the page carry it, so they are never stale for those."""
    runs = AllocationRun.objects.filter(status=RunStatus.COMPUTED).aggregate(
        count=Count("pk"), last=Max("computed_at")
    )
    payouts = Payout.objects.aggregate(count=Count("pk"), last=Max("updated_at"))
    text = f"{runs['count']}:{runs['last']}:{payouts['count']}:{payouts['last']}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cached(key: str, compute: Any, *, stamp: str | None = None) -> Any:
    """`compute()`, kept in the cache under `key` and the data's fingerprint
    (`stamp`, when the caller has read it already)."""
    full_key = f"transparency:{stamp or fingerprint()}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, CACHE_SECONDS)
    return value


TOP_PROJECTS = 8


def flow_diagram(*, figures: Overview, top: list[dict[str, Any]]) -> Sankey | None:
    """The Sankey of `figures`: each kind to the fee, earmarks and the pool,
    then to the `top` projects (rows of `project_rows`), the other projects
    together, and what the pool keeps for the next month."""
    nodes = [
        Node(key=f"kind:{row.key}", label=row.label, cents=row.net_cents, column=0)
        for row in figures.kinds
    ]
    nodes.append(
        Node(
            key="carried",
            label=_("Earlier months' pool"),
            cents=figures.pool_carried_in_cents,
            column=0,
        )
    )
    nodes += [
        Node(key=EARMARKS, label=_("Earmarks"), cents=figures.earmarked_cents, column=1),
        Node(
            key=POOL,
            label=_("Common pool"),
            cents=figures.pool_in_cents + figures.pool_carried_in_cents,
            column=1,
        ),
        Node(key=FEE, label=_("Management fee"), cents=figures.fee_cents, column=1),
    ]
    flows: list[tuple[str, str, int]] = []
    for row in figures.kinds:
        flows += [
            (f"kind:{row.key}", EARMARKS, row.earmarked_cents),
            (f"kind:{row.key}", POOL, row.pool_cents),
            (f"kind:{row.key}", FEE, row.fee_cents),
        ]
    flows.append(("carried", POOL, figures.pool_carried_in_cents))
    for item in top:
        key = f"project:{item['project_id']}"
        nodes.append(
            Node(key=key, label=item["project__name"], cents=item["total_cents"], column=2)
        )
        flows += [(EARMARKS, key, item["earmarked_cents"]), (POOL, key, item["pool_cents"])]
    others_earmarked = figures.earmarked_cents - sum(i["earmarked_cents"] for i in top)
    others_pool = figures.pool_shared_cents - sum(i["pool_cents"] for i in top)
    nodes += [
        Node(
            key="others",
            label=_("Other projects"),
            cents=others_earmarked + others_pool,
            column=2,
        ),
        Node(
            key="kept",
            label=_("Kept in the pool"),
            cents=figures.pool_carried_out_cents,
            column=2,
        ),
    ]
    flows += [
        (EARMARKS, "others", others_earmarked),
        (POOL, "others", others_pool),
        (POOL, "kept", figures.pool_carried_out_cents),
    ]
    return sankey(nodes=nodes, flows=flows)


DEPENDED_UPON_SHOWN = 10


def depended_upon_least_funded(*, limit: int = DEPENDED_UPON_SHOWN) -> list[Project]:
    """The projects found in the most contributors' SBOMs that have received the
    least (counts only, never who): each with `sbom_contributors` and
    `received_cents`."""
    return list(
        projects_sbom_contributors()
        .annotate(received_cents=project_received_totals_cents())
        .order_by("-sbom_contributors", "received_cents", "name", "id")[:limit]
    )
