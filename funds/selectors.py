"""Reads of the fund: settings in force, ledger balances."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    BigIntegerField,
    Count,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth

from contributors.models import Contributor, Pledge
from funds.enums import (
    DEBIT_NORMAL_KINDS,
    FUND_SETTING_DEFAULTS,
    STATEMENT_LINES_TO_DECIDE,
    AccountKind,
    FundSettingKey,
    JournalSource,
    PaymentRequestStatus,
    PaymentStatus,
    StatementLineStatus,
)
from funds.models import (
    Account,
    BankStatement,
    BankStatementLine,
    FundSettingValue,
    Journal,
    JournalLeg,
    Payment,
    PaymentRequest,
    ProjectMonthTotal,
    ProjectTotal,
    Receipt,
    Refund,
)
from projects.models import Project


def fund_setting_value(*, key: FundSettingKey | str, at: datetime) -> int:
    """The value of `key` in force at `at` (the default when no decision set one)."""
    value = (
        FundSettingValue.objects.filter(key=key, effective_at__lte=at)
        .order_by("-effective_at", "-id")
        .values_list("value", flat=True)
        .first()
    )
    return FUND_SETTING_DEFAULTS[FundSettingKey(key)] if value is None else value


def fund_settings_at(*, at: datetime) -> dict[str, int]:
    """Every setting's value in force at `at`, in two queries at most."""
    result = dict(FUND_SETTING_DEFAULTS)
    rows = FundSettingValue.objects.filter(effective_at__lte=at).order_by(
        "key", "-effective_at", "-id"
    )
    seen: set[str] = set()
    for row in rows.only("key", "value"):
        if row.key not in seen:
            seen.add(row.key)
            result[row.key] = row.value
    return result


def account_balance_cents(
    *,
    account: Account | None = None,
    kind: AccountKind | str | None = None,
    project: Project | None = None,
) -> int:
    """The balance of one ledger account in cents, in its natural sign: what
    the fund holds for debit-normal accounts (bank, Stripe clearing, fees,
    payouts), what it owes for credit-normal ones (unallocated receipts, pool,
    operating account, project balances). An account never used is 0."""
    if account is not None:
        account_kind = AccountKind(account.kind)
        legs = JournalLeg.objects.filter(account=account)
    else:
        if kind is None:
            raise ValueError("Give an account or its kind.")
        account_kind = AccountKind(kind)
        legs = JournalLeg.objects.filter(account__kind=account_kind, account__project=project)
    total = legs.aggregate(total=Sum("amount_cents"))["total"] or 0
    return int(total) if account_kind in DEBIT_NORMAL_KINDS else -int(total)


def pool_balance_cents() -> int:
    """The common pool's balance, from the ledger."""
    return account_balance_cents(kind=AccountKind.POOL)


def project_balances_cents() -> dict[int, int]:
    """Every project's balance (credit-normal), by project id, in one query."""
    rows = (
        JournalLeg.objects.filter(account__kind=AccountKind.PROJECT)
        .values("account__project_id")
        .annotate(total=Sum("amount_cents"))
    )
    return {row["account__project_id"]: -int(row["total"]) for row in rows}


# Months of the fund are calendar months in Paris, whatever the visitor's time zone.
FUND_TIME_ZONE = ZoneInfo("Europe/Paris")


def project_received_by_month(*, project: Project | int) -> list[tuple[date, int]]:
    """What the project received each calendar month (Europe/Paris), in cents:
    `(first day of the month, cents)` for the months with money, oldest first,
    in one query (of the monthly totals the ledger keeps, not of its legs)."""
    project_id = project.pk if isinstance(project, Project) else project
    rows = (
        ProjectMonthTotal.objects.filter(project_id=project_id, received_cents__gt=0)
        .order_by("month")
        .values_list("month", "received_cents")
    )
    return [(month, int(total)) for month, total in rows]


@dataclass(frozen=True)
class ProjectTotals:
    """Everything the ledger moved on a project's balance, in cents."""

    received_cents: int = 0
    earmarked_cents: int = 0
    pool_cents: int = 0
    paid_cents: int = 0
    balance_cents: int = 0


_TOTAL_FIELDS = ("received_cents", "earmarked_cents", "pool_cents", "paid_cents", "balance_cents")


def project_totals(*, project: Project | int) -> ProjectTotals:
    """A project's totals (received, earmarked, from the pool, paid out, and the
    balance the fund holds for it), in one query of its row of `ProjectTotal`."""
    project_id = project.pk if isinstance(project, Project) else project
    found = ProjectTotal.objects.filter(project_id=project_id).values(*_TOTAL_FIELDS).first()
    return ProjectTotals(**found) if found is not None else ProjectTotals()


@dataclass(frozen=True)
class MonthlyFunds:
    month: date
    amount_cents: int


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def project_funds_by_month(*, project: Project) -> list[MonthlyFunds]:
    """What the project received each calendar month (Europe/Paris), from the ledger
    (one query): every month from the first with money to the last, oldest first,
    a month without money at 0, so that a chart of it has an even time axis."""
    received = dict(project_received_by_month(project=project))
    if not received:
        return []
    months, month, last = [], min(received), max(received)
    while month <= last:
        months.append(MonthlyFunds(month=month, amount_cents=int(received.get(month, 0))))
        month = _next_month(month)
    return months


def project_balances(*, project_ids: list[int]) -> dict[int, int]:
    """What the fund holds for each of `project_ids`, in cents (0 when none)."""
    balances = project_balances_cents()
    return {pk: int(balances.get(pk, 0)) for pk in project_ids}


def project_received_totals_cents() -> Coalesce:
    """An expression for `Project` querysets: everything the project has received,
    in cents (0 when nothing), as `project_received_by_month` counts it, read
    from its row of `ProjectTotal` (not its months, nor the ledger's legs).
    Annotate with it to show or sort the catalogue in the same query:
    ``Project.objects.annotate(received_cents=project_received_totals_cents())``."""
    totals = ProjectTotal.objects.filter(project_id=OuterRef("pk")).values("received_cents")
    return Coalesce(
        Subquery(totals, output_field=BigIntegerField()),
        Value(0),
        output_field=BigIntegerField(),
    )


@dataclass(frozen=True)
class FundedOrder:
    """What the catalogue's "most funded" order needs from the funds side, for
    `Project` querysets (the projects app sits below funds and names none of its
    tables): `received` (everything received, 0 when nothing, as
    `project_received_totals_cents`), `has_received` (the projects that received
    more than nothing) and `received_of_those` (their received cents, read in the
    order of `ProjectTotal`'s index)."""

    received: Coalesce
    has_received: Q
    received_of_those: F


def project_funded_order() -> FundedOrder:
    return FundedOrder(
        received=project_received_totals_cents(),
        has_received=Q(money_total__received_cents__gt=0),
        received_of_those=F("money_total__received_cents"),
    )


@dataclass(frozen=True)
class BooksProblem:
    """A broken invariant of the books: its name and what breaks it."""

    invariant: str
    detail: str


def _first_ids(queryset: Any, limit: int = 5) -> str:
    return ", ".join(f"#{pk}" for pk in queryset.values_list("pk", flat=True)[:limit])


def _journals_balanced(journals: QuerySet[Journal] | None = None) -> str | None:
    unbalanced = (
        (Journal.objects.all() if journals is None else journals)
        .annotate(total=Coalesce(Sum("legs__amount_cents"), 0), count=Count("legs"))
        .filter(~Q(total=0) | Q(count__lt=2))
    )
    if unbalanced.exists():
        return f"journals {_first_ids(unbalanced)} do not have two or more legs summing to zero"
    return None


def _ledger_sums_to_zero() -> str | None:
    total = JournalLeg.objects.aggregate(total=Coalesce(Sum("amount_cents"), 0))["total"]
    return None if total == 0 else f"all legs sum to {total}"


def _receipt_net_is_gross_minus_fee() -> str | None:
    bad = Receipt.objects.exclude(net_cents=F("gross_cents") - F("processor_fee_cents"))
    return f"receipts {_first_ids(bad)}" if bad.exists() else None


def _receipts_booked_once() -> str | None:
    orphans = Journal.objects.filter(source=JournalSource.RECEIPT, receipt__isnull=True)
    if orphans.exists():
        return f"receipt journals {_first_ids(orphans)} have no receipt"
    return None


def _ledger_matches_receipts() -> str | None:
    totals = Receipt.objects.aggregate(
        gross=Coalesce(Sum("gross_cents"), 0),
        fee=Coalesce(Sum("processor_fee_cents"), 0),
        net=Coalesce(Sum("net_cents"), 0),
    )
    legs = {
        row["account__kind"]: int(row["total"])
        for row in JournalLeg.objects.filter(journal__source=JournalSource.RECEIPT)
        .values("account__kind")
        .annotate(total=Sum("amount_cents"))
    }
    expected = {"unallocated": -totals["gross"], "fees": totals["fee"], "cash": totals["net"]}
    found = {
        "unallocated": legs.get(AccountKind.UNALLOCATED, 0),
        "fees": legs.get(AccountKind.PROCESSOR_FEES, 0),
        "cash": legs.get(AccountKind.BANK, 0) + legs.get(AccountKind.STRIPE_CLEARING, 0),
    }
    if found != expected:
        return f"receipt journals book {found} but the receipts add up to {expected}"
    return None


_PAID = [PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED, PaymentStatus.DISPUTED]


def _succeeded_payments_have_one_receipt() -> str | None:
    # NOT EXISTS, an anti-join: PostgreSQL runs a NOT IN whose ids outgrow
    # work_mem as a nested loop, quadratic in the number of payments.
    missing = Payment.objects.filter(status__in=_PAID).exclude(
        Exists(Receipt.objects.filter(payment_id=OuterRef("pk"), refund__isnull=True))
    )
    unpaid = Payment.objects.exclude(status__in=_PAID).filter(receipts__isnull=False).distinct()
    if missing.exists() or unpaid.exists():
        return (
            f"succeeded without receipt: {_first_ids(missing) or '-'}; "
            f"receipt without success: {_first_ids(unpaid) or '-'}"
        )
    return None


def _refunds_within_receipt() -> str | None:
    over = (
        Receipt.objects.filter(refund__isnull=True)
        .annotate(reversed_cents=Coalesce(Sum("reversals__gross_cents"), 0))
        .filter(reversed_cents__lt=-F("gross_cents"))
    )
    return (
        f"receipts {_first_ids(over)} are reversed by more than they received"
        if over.exists()
        else None
    )


def _no_negative_balance() -> str | None:
    """The money the fund holds at its bank is never below zero. The pool, the
    operating account and a project's balance may be: allocation.md allocates a
    refund as a negative receipt carrying its original's earmarks, so a refund
    after the money was shared out or paid takes it back from where it went,
    and a later month's receipts make up the difference (a negative balance is
    never paid out: payouts need the payout threshold)."""
    bank = account_balance_cents(kind=AccountKind.BANK)
    return f"negative: bank ({bank} cents)" if bank < 0 else None


def project_totals_from_ledger() -> dict[tuple[int, date], ProjectTotals]:
    """`ProjectMonthTotal` recomputed from the ledger's legs, by (project, month):
    what `journal_post` adds up as it books (one grouped query)."""
    pool_debits = JournalLeg.objects.filter(
        account__kind=AccountKind.POOL, amount_cents__gt=0
    ).values("journal_id")
    from_pool = Q(journal_id__in=pool_debits) & ~Q(journal__source=JournalSource.PAYOUT)
    allocation = Q(journal__source=JournalSource.ALLOCATION) & ~Q(journal_id__in=pool_debits)
    rows = (
        JournalLeg.objects.filter(account__kind=AccountKind.PROJECT)
        .annotate(
            month=TruncMonth("journal__booked_at", output_field=DateField(), tzinfo=FUND_TIME_ZONE)
        )
        .values("account__project_id", "month")
        .annotate(
            received_cents=Sum(
                -F("amount_cents"),
                filter=Q(amount_cents__lt=0) & ~Q(journal__source=JournalSource.PAYOUT),
            ),
            earmarked_cents=Sum(-F("amount_cents"), filter=allocation),
            pool_cents=Sum(-F("amount_cents"), filter=from_pool),
            paid_cents=Sum("amount_cents", filter=Q(journal__source=JournalSource.PAYOUT)),
            balance_cents=Sum(-F("amount_cents")),
        )
        .order_by()
    )
    return {
        (row["account__project_id"], row["month"]): ProjectTotals(
            **{name: int(row[name] or 0) for name in _TOTAL_FIELDS}
        )
        for row in rows
    }


def _totals_differ(
    expected: dict[Any, ProjectTotals],
    kept: dict[Any, ProjectTotals],
    *,
    what: str,
    against: str,
    name: Callable[[Any], str],
) -> str | None:
    """None when `kept` holds what `expected` does (a missing key counts as
    zeros), else how many differ and the first five."""
    wrong = sorted(
        key
        for key in expected.keys() | kept.keys()
        if expected.get(key, ProjectTotals()) != kept.get(key, ProjectTotals())
    )
    if not wrong:
        return None
    shown = "; ".join(
        f"{name(key)}: {against} {expected.get(key, ProjectTotals())}, "
        f"kept {kept.get(key, ProjectTotals())}"
        for key in wrong[:5]
    )
    return f"{len(wrong)} {what} differ from the {against}: {shown}"


def _project_totals_match_months() -> str | None:
    """Each project's `ProjectTotal` against the sum of its months."""
    months = {
        row["project_id"]: ProjectTotals(**{n: int(row[n]) for n in _TOTAL_FIELDS})
        for row in ProjectMonthTotal.objects.order_by()
        .values("project_id")
        .annotate(**{name: Sum(name) for name in _TOTAL_FIELDS})
    }
    kept = {
        row["project_id"]: ProjectTotals(**{n: row[n] for n in _TOTAL_FIELDS})
        for row in ProjectTotal.objects.values("project_id", *_TOTAL_FIELDS)
    }
    return _totals_differ(
        months, kept, what="project totals", against="months", name=lambda pk: f"project {pk}"
    )


def _project_totals_match_ledger() -> str | None:
    kept = {
        (row["project_id"], row["month"]): ProjectTotals(**{n: row[n] for n in _TOTAL_FIELDS})
        for row in ProjectMonthTotal.objects.values("project_id", "month", *_TOTAL_FIELDS)
    }
    return _totals_differ(
        project_totals_from_ledger(),
        kept,
        what="project month totals",
        against="ledger",
        name=lambda key: f"project {key[0]} {key[1]:%Y-%m}",
    )


def _booked_for_request(*conditions: Q, group_by: str) -> Coalesce:
    """The gross of the receipts (refunds aside) of payments matching `conditions`."""
    totals = (
        Receipt.objects.filter(*conditions, refund__isnull=True)
        .order_by()
        .values(group_by)
        .annotate(total=Sum("gross_cents"))
        .values("total")
    )
    return Coalesce(
        Subquery(totals, output_field=BigIntegerField()), Value(0), output_field=BigIntegerField()
    )


def _payment_requests_not_overbooked() -> str | None:
    """A payment request's booked receipts (its own payment's, its statement
    lines' and its other payments') never exceed its amount unless an
    administrator accepted the difference."""
    over = (
        PaymentRequest.objects.annotate(
            own=_booked_for_request(Q(payment_id=OuterRef("payment_id")), group_by="payment_id"),
            lines=_booked_for_request(
                Q(payment__statement_line__payment_request=OuterRef("pk")),
                ~Q(payment_id=OuterRef("payment_id")),
                group_by="payment__statement_line__payment_request",
            ),
            others=_booked_for_request(
                Q(payment__booked_for_requests=OuterRef("pk")),
                group_by="payment__booked_for_requests",
            ),
        )
        .filter(own__gt=F("amount_cents") - F("lines") - F("others"))
        .filter(difference_accepted_at__isnull=True)
        .order_by("pk")
    )
    if over.exists():
        return (
            f"payment requests {_first_ids(over)} have booked receipts beyond their amount "
            "and no administrator accepted it"
        )
    return None


BOOKS_INVARIANTS: tuple[tuple[str, Callable[[], str | None]], ...] = (
    ("journals_balanced", _journals_balanced),
    ("ledger_sums_to_zero", _ledger_sums_to_zero),
    ("receipt_net_is_gross_minus_fee", _receipt_net_is_gross_minus_fee),
    ("receipts_booked_once", _receipts_booked_once),
    ("ledger_matches_receipts", _ledger_matches_receipts),
    ("succeeded_payments_have_one_receipt", _succeeded_payments_have_one_receipt),
    ("refunds_within_receipt", _refunds_within_receipt),
    ("no_negative_balance", _no_negative_balance),
    ("payment_requests_not_overbooked", _payment_requests_not_overbooked),
    ("project_totals_match_ledger", _project_totals_match_ledger),
    ("project_totals_match_months", _project_totals_match_months),
)


def journals_by_external_id(
    *, source: JournalSource, external_ids: Iterable[str]
) -> QuerySet[Journal]:
    return Journal.objects.filter(source=source, external_id__in=list(external_ids))


def books_check_of_journals(*, journals: QuerySet[Journal]) -> list[BooksProblem]:
    """The invariant a batch of journals posted to the fund's own accounts (the
    pool, the operating account, project balances) can break, checked on what
    it touches: those journals balanced. A monthly run checks this around its
    own journals, with allocation.md's conservation; the whole books are
    checked by `books_check` (nightly, and after each run)."""
    detail = _journals_balanced(journals)
    return [] if detail is None else [BooksProblem("journals_balanced", detail)]


def books_check() -> list[BooksProblem]:
    """Every invariant of the books, in order; an empty list means they all hold."""
    problems = []
    for name, check in BOOKS_INVARIANTS:
        detail = check()
        if detail is not None:
            problems.append(BooksProblem(name, detail))
    return problems


def _own_pledges(user: Any) -> QuerySet[Pledge]:
    return Pledge.objects.filter(
        contributor__in=Contributor.objects.filter(Q(user=user) | Q(memberships__user=user)).values(
            "pk"
        )
    )


def receipts_of(user: Any) -> QuerySet[Receipt]:
    """The receipts of the user's own pledges and their organisations' pledges."""
    return (
        Receipt.objects.filter(pledge__in=_own_pledges(user).values("pk"))
        .select_related("contributor", "payment")
        .order_by("-received_at", "-id")
    )


def payments_of(user: Any) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(pledge__in=_own_pledges(user).values("pk"))
        .select_related("pledge")
        .order_by("-created_at", "-id")
    )


def payment_requests_of(user: Any) -> QuerySet[PaymentRequest]:
    return (
        PaymentRequest.objects.filter(pledge__in=_own_pledges(user).values("pk"))
        .select_related("pledge__contributor")
        .order_by("-issued_at", "-id")
    )


def statement_summaries() -> QuerySet[BankStatement]:
    """Statements with their line counts by status, newest first (one query)."""
    return (
        BankStatement.objects.select_related("uploaded_by")
        .defer("content")
        .annotate(
            line_count=Count("lines"),
            booked_count=Count("lines", filter=Q(lines__status=StatementLineStatus.BOOKED)),
            pending_count=Count(
                "lines", filter=Q(lines__status__in=sorted(STATEMENT_LINES_TO_DECIDE))
            ),
        )
        .order_by("-uploaded_at", "-id")
    )


def statement_lines(statement: BankStatement) -> QuerySet[BankStatementLine]:
    return (
        BankStatementLine.objects.filter(statement=statement)
        .select_related("payment_request", "decided_by")
        .order_by("id")
    )


def awaiting_payment_requests() -> QuerySet[PaymentRequest]:
    return (
        PaymentRequest.objects.filter(status=PaymentRequestStatus.AWAITING_PAYMENT)
        .select_related("pledge__contributor")
        .order_by("issued_at", "id")
    )


def refunds_to_review() -> QuerySet[Refund]:
    """Refunds and disputes no administrator has looked at yet."""
    return (
        Refund.objects.filter(reviewed_at__isnull=True)
        .select_related("payment__pledge__contributor")
        .order_by("created_at", "id")
    )
