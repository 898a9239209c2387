"""Where one receipt's money went: its exact share of each destination of the
run that took it (allocation.md's units, before the run rounds them per
destination over the month), then its share of the pool through the rounds of
that run and of the later ones, and the payouts that carried the projects'
balances out. A handful of queries, whatever the history."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from allocation.arithmetic import BP, UNITS_PER_CENT
from allocation.enums import PayoutStatus, RunStatus
from allocation.models import AllocationRun, Payout, RunReceipt
from funds.models import Receipt, ReceiptEarmark
from projects.models import Project


def rounded(value: Fraction) -> int:
    """Exact cents to whole cents, half away from zero (for display only)."""
    whole = abs(value)
    cents = int(whole + Fraction(1, 2))
    return cents if value >= 0 else -cents


@dataclass
class ProjectShare:
    project_id: int
    name: str
    slug: str
    earmarked: Fraction = Fraction(0)
    # (run, exact cents of this receipt's pool money that run's round gave)
    from_pool: list[tuple[AllocationRun, Fraction]] = field(default_factory=list)
    payout: Payout | None = None

    @property
    def earmarked_cents(self) -> int:
        return rounded(self.earmarked)

    @property
    def pool_rows(self) -> list[tuple[AllocationRun, int]]:
        return [(run, rounded(cents)) for run, cents in self.from_pool]

    @property
    def total(self) -> Fraction:
        return self.earmarked + sum((cents for _run, cents in self.from_pool), Fraction(0))

    @property
    def total_cents(self) -> int:
        return rounded(self.total)


@dataclass
class ReceiptTrace:
    receipt: Receipt
    run: AllocationRun | None
    fee: Fraction = Fraction(0)
    pool: Fraction = Fraction(0)
    pool_kept: Fraction = Fraction(0)  # still in the pool after the latest run
    projects: list[ProjectShare] = field(default_factory=list)
    ineligible: list[str] = field(default_factory=list)  # earmarked, not eligible: to the pool
    earmarks: list[tuple[str, int]] = field(default_factory=list)  # (project, share_bp)

    @property
    def fee_cents(self) -> int:
        return rounded(self.fee)

    @property
    def pool_cents(self) -> int:
        return rounded(self.pool)

    @property
    def pool_kept_cents(self) -> int:
        return rounded(self.pool_kept)

    @property
    def earmarked_cents(self) -> int:
        return rounded(sum((p.earmarked for p in self.projects), Fraction(0)))


def _fractions(run: AllocationRun) -> dict[int, Fraction]:
    return {int(pk): Fraction(value) for pk, value in (run.round_fractions or {}).items()}


def computed_runs_in_order() -> list[AllocationRun]:
    return list(AllocationRun.objects.filter(status=RunStatus.COMPUTED).order_by("period_start_at"))


def pool_given(
    run: AllocationRun, pool: Fraction, *, runs: list[AllocationRun] | None = None
) -> tuple[list[tuple[int, AllocationRun, Fraction]], Fraction]:
    """`pool` (exact cents put in the pool by `run`) through the rounds of `run`
    and of the later runs (of `runs`, every computed run in order, read when
    not given): what each gave to which project, and what is left."""
    given: list[tuple[int, AllocationRun, Fraction]] = []
    left = pool
    every = computed_runs_in_order() if runs is None else runs
    for item in (r for r in every if r.period_start_at >= run.period_start_at):
        if not left or item.pool_in_cents + item.pool_carried_in_cents <= 0:
            continue  # nothing to share: all of the pool waits
        fractions = _fractions(item)
        given += [(pk, item, left * fraction) for pk, fraction in fractions.items()]
        left -= left * sum(fractions.values(), Fraction(0))
    return given, left


def _first_payouts(run: AllocationRun, shares: dict[int, ProjectShare]) -> None:
    """A project's balance is paid out whole: the first payout made after `run`
    carried this money out (a later one if that failed and came back)."""
    for payout in (
        Payout.objects.filter(
            project_id__in=shares, batch__run__period_start_at__gte=run.period_start_at
        )
        .exclude(status=PayoutStatus.FAILED)
        .select_related("batch__run")
        .order_by("batch__run__period_start_at", "pk")
    ):
        share = shares[payout.project_id]
        if share.payout is None:
            share.payout = payout


def receipt_trace(*, receipt: Receipt) -> ReceiptTrace:
    """Where `receipt`'s net went (exact shares; the page shows them rounded)."""
    taken = RunReceipt.objects.filter(receipt_id=receipt.pk).select_related("run").first()
    earmarks = list(
        ReceiptEarmark.objects.filter(receipt=receipt)
        .select_related("project")
        .order_by("project__name", "project_id")
    )
    trace = ReceiptTrace(
        receipt=receipt,
        run=None,
        earmarks=[(line.project.name, line.share_bp) for line in earmarks],
    )
    if taken is None or taken.run.status != RunStatus.COMPUTED:
        return trace
    run = trace.run = taken.run
    net = receipt.net_cents
    trace.fee = Fraction(net * run.fee_bp * BP, UNITS_PER_CENT)
    pool = Fraction(net) - trace.fee
    shares: dict[int, ProjectShare] = {}
    for line in earmarks:
        if line.project_id not in run.eligible_project_ids:
            trace.ineligible.append(line.project.name)
            continue
        cents = Fraction(net * (BP - run.fee_bp) * line.share_bp, UNITS_PER_CENT)
        pool -= cents
        shares[line.project_id] = ProjectShare(
            project_id=line.project_id,
            name=line.project.name,
            slug=line.project.slug,
            earmarked=cents,
        )
    trace.pool = pool
    given, trace.pool_kept = pool_given(run, pool)
    names = {
        pk: (name, slug)
        for pk, name, slug in Project.objects.filter(
            pk__in={g[0] for g in given} - set(shares)
        ).values_list("pk", "name", "slug")
    }
    for project_id, item, cents in given:
        if project_id not in shares:
            name, slug = names[project_id]
            shares[project_id] = ProjectShare(project_id=project_id, name=name, slug=slug)
        shares[project_id].from_pool.append((item, cents))
    _first_payouts(run, shares)
    trace.projects = sorted(shares.values(), key=lambda s: (-s.total, s.name.lower()))
    return trace
