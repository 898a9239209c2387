"""Four eyes on a run's disbursement report (allocation.md, "Disbursement"):
two different administrators approve it, each giving their password and a
fresh TOTP code at that moment, each approval bound to the report's content
hash. An approver may not maintain a project of the report nor have started
the run by hand. A change of the report voids the approvals, saying what
changed: the hash is computed again whenever the report is read or acted on.

Every approval, refusal and voiding is in the audit trail."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any, NoReturn

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.enums import RunStatus
from allocation.errors import DisbursementError
from allocation.models import AllocationRun, Approval, PayoutBatch
from allocation.selectors import approvers
from allocation.services.notices import report_approved_once_notify
from allocation.services.reports import Report, disbursement_report, report_changes
from librery.services import log_action
from projects.models import Maintainership

logger = logging.getLogger(__name__)

# Two different administrators approve a report.
APPROVALS_NEEDED = 2


def is_approver(user: Any) -> bool:
    """An active administrator with TOTP set up (`selectors.approvers`)."""
    return bool(
        getattr(user, "is_authenticated", False) and approvers().filter(pk=user.pk).exists()
    )


def refuse(
    *, run: AllocationRun, actor: Any, action: str, reason: str, message: str, **data: Any
) -> NoReturn:
    """Log the refused step in the audit trail, then raise it. Pages, the API,
    tasks and commands call the services outside any transaction of theirs, so
    the entry stays although the step is refused."""
    with transaction.atomic():
        log_action(action=action, obj=run, actor=actor, data={"reason": reason, **data})
    logger.warning(action, extra={"period": run.period, "reason": reason, **data})
    raise DisbursementError(message)


def _void(approval: Approval, report: Report, at: Any) -> None:
    changes = report_changes(approval.report, report.content)
    reason = "; ".join(
        f"{c['project']}: {c['field']} {c['before']} -> {c['after']}".strip(": ") for c in changes
    )
    Approval.objects.filter(pk=approval.pk).update(
        voided_at=at, void_reason=reason, void_changes=changes
    )
    log_action(
        action="allocation.approval.voided",
        obj=approval,
        data={
            "run": approval.run_id,
            "approved_sha256": approval.content_sha256,
            "report_sha256": report.sha256,
            "changes": changes,
        },
    )


def approvals_refresh(*, run: AllocationRun, at: Any = None) -> Report:
    """The run's report now; the live approvals of another content are voided
    (committed at once, whatever the caller does next)."""
    report = disbursement_report(run=run)
    if report.frozen:
        return report
    with transaction.atomic():
        # Locked: two requests voiding at once void (and log) each approval once.
        stale = Approval.objects.select_for_update().filter(run=run, voided_at__isnull=True)
        for approval in stale.exclude(content_sha256=report.sha256).order_by("pk"):
            _void(approval, report, at or timezone.now())
    return report


def valid_approvals(*, run: AllocationRun, report: Report) -> list[Approval]:
    """Live approvals of `report`'s very content, oldest first."""
    return list(
        Approval.objects.filter(run=run, voided_at__isnull=True, content_sha256=report.sha256)
        .select_related("administrator")
        .order_by("approved_at", "pk")
    )


def maintained_in(*, user: Any, report: Report) -> list[str]:
    """Names of the report's projects that `user` maintains (read now, and as the
    report recorded it)."""
    ids = set(
        Maintainership.objects.filter(user=user, project_id__in=report.project_ids).values_list(
            "project_id", flat=True
        )
    )
    return sorted(
        line["name"]
        for line in report.lines
        if line["project_id"] in ids or user.pk in line["administrator_maintainers"]
    )


def later_run_exists(run: AllocationRun) -> bool:
    return AllocationRun.objects.filter(
        status=RunStatus.COMPUTED, period_start_at__gt=run.period_start_at
    ).exists()


def approver_problem(*, run: AllocationRun, user: Any, report: Report) -> tuple[str, str] | None:
    """Why `user` may not approve `run`'s `report` (a code and a message), or None."""
    if not is_approver(user):
        return "not_administrator", _(
            "Only an administrator with two-factor authentication can approve a report."
        )
    if run.started_by_id is not None and run.started_by_id == user.pk:
        return "started_the_run", _(
            "You started this run by hand: two other administrators must approve it."
        )
    maintained = maintained_in(user=user, report=report)
    if maintained:
        return "maintainer", _(
            "You maintain %(projects)s, in this report: you cannot approve it."
        ) % {"projects": ", ".join(maintained)}
    return None


def _credentials_ok(user: Any, password: str, code: str) -> bool:
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:  # pragma: no cover -- is_approver checked it just before
        return False
    password_ok = bool(password) and user.check_password(password)
    # allauth's own validation: the code of the moment, used once (no replay).
    code_ok = bool(code) and TOTP(authenticator).validate_code(code.strip())
    return password_ok and code_ok


def _enqueue_batch(run_id: int) -> None:
    # Tasks sit above services (they call them): imported here, when enqueuing.
    from allocation.tasks import create_payout_batch  # noqa: PLC0415 -- tasks import services

    create_payout_batch.apply_async(kwargs={"run_id": run_id})


def _state_problem(run: AllocationRun) -> tuple[str, str] | None:
    if PayoutBatch.objects.filter(run=run).exists():
        return "batch_exists", _("This report is approved already: its payout batch exists.")
    if later_run_exists(run):
        return "later_run", _(
            "A later month is allocated: approve its report, which holds these balances."
        )
    return None


def disbursement_approve(
    *,
    run: AllocationRun,
    actor: Any,
    password: str,
    totp_code: str,
    content_sha256: str,
    at: Any = None,
) -> Approval:
    """`actor` approves `run`'s report as they saw it (`content_sha256`). The
    second valid approval enqueues the payout batch after the commit."""
    at = at or timezone.now()
    refused = partial(refuse, run=run, actor=actor, action="allocation.approval.refused")
    if not is_approver(actor):
        refused(
            reason="not_administrator",
            message=_("Only an administrator with two-factor authentication can approve a report."),
        )
    if not _credentials_ok(actor, password, totp_code):
        refused(
            reason="credentials",
            message=_(
                "Your password or your two-factor code is not correct (a code is used only once)."
            ),
        )
    approvals_refresh(run=run, at=at)
    problem: tuple[str, str] | None = None
    with transaction.atomic():
        locked = AllocationRun.objects.select_for_update().get(pk=run.pk)
        report = disbursement_report(run=locked)
        problem = _state_problem(locked)
        if problem is None and content_sha256 != report.sha256:
            problem = (
                "stale_report",
                _("The report changed since you read it: read it again before approving."),
            )
        problem = problem or approver_problem(run=locked, user=actor, report=report)
        valid = valid_approvals(run=locked, report=report)
        if problem is None and any(a.administrator_id == actor.pk for a in valid):
            problem = (
                "already_approved",
                _("You approved this report already: another administrator must approve it."),
            )
        if problem is None:
            approval = _record(locked, actor, report, at)
            if len(valid) + 1 >= APPROVALS_NEEDED:
                transaction.on_commit(partial(_enqueue_batch, locked.pk))
            else:
                report_approved_once_notify(run=locked, approver=actor)
    if problem is not None:
        refused(reason=problem[0], message=problem[1], sha256=content_sha256)
    return approval


def _record(run: AllocationRun, actor: Any, report: Report, at: Any) -> Approval:
    try:
        with transaction.atomic():
            approval = Approval.objects.create(
                run=run,
                administrator=actor,
                content_sha256=report.sha256,
                report=report.content,
                approved_at=at,
            )
    except IntegrityError:  # pragma: no cover -- the run's lock serialises approvals first
        raise DisbursementError(
            _("You approved this report already: another administrator must approve it.")
        ) from None
    log_action(
        action="allocation.approval.recorded",
        obj=approval,
        actor=actor,
        data={"run": run.period, "sha256": report.sha256},
    )
    return approval
