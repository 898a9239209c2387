"""The demo's disbursement: the second demo administrator (TOTP too), a
verified payout account for LibreOffice (which the demo maintainer also
maintains), and last month's report approved by both administrators, with its
payout batch. Idempotent, like the rest of the demo."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.core.cache import cache

from allocation.models import AllocationRun, Approval, PayoutBatch
from allocation.services import disbursement_approve, disbursement_report, payout_batch_create
from contributors.models import User
from projects import services as project_services
from projects.enums import MaintainerRole, PayoutAccountStatus
from projects.models import Maintainership, PayoutAccount, Project

PAID_PROJECT = "LibreOffice"
PAID_IBAN = "FR76 3000 4000 0312 3456 7890 143"  # a valid, fictional account
PAID_BIC = "BNPAFRPPXXX"


TOTP_MARGIN_SECONDS = 8


def demo_totp_code(secret: str) -> str:
    """The code of the moment, never one about to expire: allauth accepts the
    current 30-second window only, and the approval hashes the password first,
    so a code taken in a window's last seconds could arrive in the next one."""
    left = 30 - time.time() % 30
    if left < TOTP_MARGIN_SECONDS:
        time.sleep(left + 0.1)
    return str(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))


def demo_administrator_totp(user: User, secret: str) -> None:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, secret)
        RecoveryCodes.activate(user)


def _verified_account(*, project: Project, maintainer: User, password: str, admin: User) -> None:
    Maintainership.objects.get_or_create(
        project=project,
        user=maintainer,
        defaults={"role": MaintainerRole.MAINTAINER, "is_public": True},
    )
    account = PayoutAccount.objects.filter(project=project).first()
    if account is None:
        account = project_services.payout_account_save(
            project=project,
            actor=maintainer,
            password=password,
            holder_name="LibreOffice demo foundation (fictional demo)",
            iban=PAID_IBAN,
            bic=PAID_BIC,
            address="1 place de l'Exemple, 75000 Paris, France (fictional demo)",
        )
    if account.status != PayoutAccountStatus.VERIFIED:
        project_services.payout_account_verify(account=account, actor=admin)


def _approve(run: AllocationRun, admin: User, password: str, secret: str) -> None:
    if Approval.objects.filter(run=run, administrator=admin, voided_at__isnull=True).exists():
        return
    code = demo_totp_code(secret)
    disbursement_approve(
        run=run,
        actor=admin,
        password=password,
        totp_code=code,
        content_sha256=disbursement_report(run=run).sha256,
    )
    # The code is released again: the demo administrators log in with
    # `manage.py demo_totp`'s code at once, which allauth would take as a replay.
    authenticator = Authenticator.objects.get(user=admin, type=Authenticator.Type.TOTP)
    cache.delete(TOTP(authenticator)._get_used_cache_key(code))  # noqa: SLF001 -- demo only


def demo_disbursement(
    *, run: AllocationRun, admins: list[tuple[User, str, str]], maintainer: Any, password: str
) -> PayoutBatch | None:
    """`admins`: (user, password, TOTP secret) of the two demo administrators."""
    project = Project.objects.filter(name=PAID_PROJECT).first()
    if project is None:  # pragma: no cover -- the SILL always has it
        return None
    _verified_account(project=project, maintainer=maintainer, password=password, admin=admins[0][0])
    if PayoutBatch.objects.filter(run=run).exists():
        return PayoutBatch.objects.get(run=run)
    for admin, admin_password, secret in admins:
        _approve(run, admin, admin_password, secret)
    return payout_batch_create(run=run, actor=admins[1][0], via="demo")
