"""The disbursement report of a computed run (allocation.md, "Disbursement"):
per project, what the run gave (earmarks, pool), the balance before and after
the run, the payout proposed now and the flags an approver must see; totals
checked against the ledger. Its canonical JSON (sorted keys, no spaces, UTF-8)
hashes to the content sha256 each approval is bound to.

Once the run has its payout batch, the report is the one frozen on the batch:
what the two approvers approved, whatever happened since."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum

from allocation.enums import RunStatus
from allocation.models import AllocationRun, PayoutBatch
from allocation.selectors import run_projects
from funds.enums import AccountKind
from funds.models import JournalLeg
from funds.selectors import project_balances_cents
from projects.enums import ProjectStatus
from projects.models import Maintainership, Project

REPORT_VERSION = 1


class Flag:
    """Why a project's balance is not paid, or what an approver must know."""

    ACCOUNT_MISSING = "account_missing"
    ACCOUNT_UNVERIFIED = "account_unverified"
    BELOW_THRESHOLD = "below_threshold"
    NOT_ADMITTED = "not_admitted"
    MAINTAINED_BY_ADMINISTRATOR = "maintained_by_administrator"
    BALANCE_CHANGED = "balance_changed_since_run"


# A project's balance is paid out only while it is admitted.
PAYABLE_STATUSES = frozenset({ProjectStatus.ADMITTED})


@dataclass(frozen=True)
class Report:
    """A run's report: its canonical content and that content's sha256."""

    run: AllocationRun
    content: dict[str, Any]
    sha256: str
    frozen: bool  # the batch's report (approved), not computed now

    @property
    def lines(self) -> list[dict[str, Any]]:
        return list(self.content["lines"])

    @property
    def totals(self) -> dict[str, int]:
        return dict(self.content["totals"])

    @property
    def project_ids(self) -> set[int]:
        return {int(line["project_id"]) for line in self.content["lines"]}

    @property
    def payouts(self) -> list[dict[str, Any]]:
        """The lines with a payout proposed."""
        return [line for line in self.content["lines"] if line["proposed_payout_cents"] > 0]


def canonical_json(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_sha256(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def _balances_at_run_end(run: AllocationRun) -> dict[int, int]:
    """Each project's balance as the run left it (journals booked before the
    period's end: the run books its own at the month's last instant)."""
    rows = (
        JournalLeg.objects.filter(
            account__kind=AccountKind.PROJECT, journal__booked_at__lt=run.period_end_at
        )
        .values("account__project_id")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    )
    return {row["account__project_id"]: -int(row["total"]) for row in rows}


def _account(project: Project) -> dict[str, str] | None:
    account = getattr(project, "payout_account", None)
    if account is None:
        return None
    return {
        "status": account.status,
        "holder_name": account.holder_name,
        "iban": account.iban,
        "bic": account.bic,
    }


def _flags(
    *, project: Project, account: dict[str, str] | None, now: int, after: int, threshold: int
) -> list[str]:
    flags = []
    if account is None:
        flags.append(Flag.ACCOUNT_MISSING)
    elif account["status"] != "verified":
        flags.append(Flag.ACCOUNT_UNVERIFIED)
    if now < threshold or now <= 0:
        flags.append(Flag.BELOW_THRESHOLD)
    if project.status not in PAYABLE_STATUSES:
        flags.append(Flag.NOT_ADMITTED)
    if now != after:
        flags.append(Flag.BALANCE_CHANGED)
    return flags


def _line(
    *,
    project: Project,
    earmarked: int,
    pool: int,
    after: int,
    now: int,
    threshold: int,
    administrators: list[int],
) -> dict[str, Any]:
    account = _account(project)
    flags = _flags(project=project, account=account, now=now, after=after, threshold=threshold)
    payable = not (set(flags) - {Flag.BALANCE_CHANGED})
    if administrators:
        flags.append(Flag.MAINTAINED_BY_ADMINISTRATOR)
    return {
        "project_id": project.pk,
        "name": project.name,
        "slug": project.slug,
        "status": project.status,
        "earmarked_cents": earmarked,
        "pool_cents": pool,
        "balance_before_cents": after - earmarked - pool,
        "balance_after_cents": after,
        "balance_now_cents": now,
        "proposed_payout_cents": now if payable else 0,
        "account": account,
        "administrator_maintainers": administrators,
        "flags": flags,
    }


def disbursement_report_compute(*, run: AllocationRun) -> Report:
    """The report of computed `run` as the books and the projects are now (a
    few queries, whatever the number of projects)."""
    if run.status != RunStatus.COMPUTED:
        raise ValueError("Only a computed run has a disbursement report.")
    allocated = {item.project_id: item for item in run_projects(run=run)}
    after = _balances_at_run_end(run)
    now = project_balances_cents()
    ids = set(allocated) | {pk for pk, c in after.items() if c} | {pk for pk, c in now.items() if c}
    projects = Project.objects.filter(pk__in=ids).select_related("payout_account")
    administrators: dict[int, list[int]] = {}
    for project_id, user_id in (
        Maintainership.objects.filter(project_id__in=ids, user__is_staff=True)
        .order_by("project_id", "user_id")
        .values_list("project_id", "user_id")
    ):
        administrators.setdefault(project_id, []).append(user_id)
    threshold = run.payout_threshold_cents
    lines = []
    for project in sorted(projects, key=lambda p: (p.name.lower(), p.pk)):
        item = allocated.get(project.pk)
        lines.append(
            _line(
                project=project,
                earmarked=item.earmarked_cents if item else 0,
                pool=item.pool_cents if item else 0,
                after=after.get(project.pk, 0),
                now=now.get(project.pk, 0),
                threshold=threshold,
                administrators=administrators.get(project.pk, []),
            )
        )
    totals = {
        key: sum(int(line[f"{key}_cents"]) for line in lines)
        for key in (
            "earmarked",
            "pool",
            "balance_before",
            "balance_after",
            "balance_now",
            "proposed_payout",
        )
    }
    totals["held"] = totals["balance_now"] - totals["proposed_payout"]
    totals["payouts"] = sum(1 for line in lines if line["proposed_payout_cents"] > 0)
    content = {
        "version": REPORT_VERSION,
        "period": run.period,
        "run_document_sha256": run.document_sha256,
        "currency": "EUR",
        "payout_threshold_cents": threshold,
        "run_earmarked_cents": run.earmarked_cents,
        "run_pool_shared_cents": run.pool_shared_cents,
        "ledger_project_balances_cents": sum(now.values()),
        "started_by": run.started_by_id,
        "lines": lines,
        "totals": totals,
    }
    return Report(run=run, content=content, sha256=content_sha256(content), frozen=False)


def disbursement_report(*, run: AllocationRun) -> Report:
    """The run's report: frozen on its batch once there is one, else computed now."""
    batch = PayoutBatch.objects.filter(run=run).first()
    if batch is not None:
        return Report(run=run, content=batch.report, sha256=batch.content_sha256, frozen=True)
    return disbursement_report_compute(run=run)


def ledger_problems(report: Report) -> list[str]:
    """Where the report's totals do not equal the run and the ledger (none: they do)."""
    content, totals = report.content, report.totals
    problems = []
    if totals["earmarked"] != content["run_earmarked_cents"]:
        problems.append("earmarked")
    if totals["pool"] != content["run_pool_shared_cents"]:
        problems.append("pool")
    if totals["balance_now"] != content["ledger_project_balances_cents"]:
        problems.append("balances")
    return problems


def report_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """What differs between two contents of one run's report, per project:
    [{"project": name, "field": ..., "before": ..., "after": ...}]."""
    old = {line["project_id"]: line for line in before.get("lines", [])}
    new = {line["project_id"]: line for line in after.get("lines", [])}
    changes: list[dict[str, Any]] = []
    for pk in sorted(set(old) | set(new)):
        first, second = old.get(pk), new.get(pk)
        name = (second or first or {}).get("name", str(pk))
        if first is None or second is None:
            changes.append(
                {
                    "project": name,
                    "field": "line",
                    "before": first is not None,
                    "after": second is not None,
                }
            )
            continue
        account_before = (first["account"] or {}).get("status", "missing")
        account_after = (second["account"] or {}).get("status", "missing")
        if account_before != account_after or first["account"] != second["account"]:
            changes.append(
                {
                    "project": name,
                    "field": "account",
                    "before": account_before,
                    "after": account_after,
                }
            )
        changes.extend(
            {"project": name, "field": f, "before": first[f], "after": second[f]}
            for f in ("status", "proposed_payout_cents", "administrator_maintainers")
            if first[f] != second[f]
        )
    if not changes and before != after:
        changes.append({"project": "", "field": "report", "before": "", "after": ""})
    return changes
