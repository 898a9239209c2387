"""Payout accounts: entered by maintainers, verified by an administrator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from librery.mail import mail_enqueue
from librery.services import log_action
from librery.transitions import transition
from projects.banking import BankDetailsError, bank_details_validate
from projects.enums import PayoutAccountStatus
from projects.errors import ProjectsError
from projects.models import (
    Maintainership,
    PayoutAccount,
    Project,
)
from projects.permissions import is_maintainer


class PayoutAccountError(ProjectsError):
    """The payout account cannot be changed; `errors` maps fields to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


PAYOUT_ACCOUNT_TRANSITIONS: dict[str, frozenset[str]] = {
    PayoutAccountStatus.UNVERIFIED: frozenset({PayoutAccountStatus.VERIFIED}),
    PayoutAccountStatus.VERIFIED: frozenset({PayoutAccountStatus.UNVERIFIED}),
}


def payout_account_transition(
    *, account: PayoutAccount, to_status: str, actor: Any, now: datetime | None = None
) -> PayoutAccount:
    """Verify or unverify an account (no-op when already there); logged."""
    verified = to_status == PayoutAccountStatus.VERIFIED
    locked, _changed = transition(
        instance=account,
        to_status=to_status,
        transitions=PAYOUT_ACCOUNT_TRANSITIONS,
        action=f"projects.payout_account.{to_status}",
        actor=actor,
        fields={
            "verified_at": (now or timezone.now()) if verified else None,
            "verified_by": actor if verified else None,
        },
        data=lambda locked, _previous: {"project": locked.project_id, "iban": locked.masked_iban},
        error_cls=PayoutAccountError,
        message=lambda _locked, _to: {"status": _("This change of status is not allowed.")},
    )
    return locked


def payout_account_verify(*, account: PayoutAccount, actor: Any) -> PayoutAccount:
    """An administrator checked the account (e.g. against a bank document)."""
    if not getattr(actor, "is_staff", False):
        raise PayoutAccountError({"status": _("Only an administrator can verify an account.")})
    return payout_account_transition(
        account=account, to_status=PayoutAccountStatus.VERIFIED, actor=actor
    )


def payout_account_save(
    *,
    project: Project,
    actor: Any,
    password: str,
    holder_name: str,
    iban: str,
    bic: str,
    address: str,
) -> PayoutAccount:
    """Create or change a project's payout account. The changing maintainer gives
    their password again; a change unverifies the account, is audited, and every
    maintainer of the project is told by email."""
    if not is_maintainer(actor, project):
        raise PayoutAccountError({"__all__": _("Only the project's maintainers can do this.")})
    if not password or not actor.check_password(password):
        raise PayoutAccountError({"password": _("This password is not correct.")})
    try:
        details = bank_details_validate(iban=iban, bic=bic)
    except BankDetailsError as exc:
        raise PayoutAccountError(exc.errors) from exc
    values = {
        "holder_name": holder_name.strip(),
        "iban": details.iban,
        "bic": details.bic,
        "address": address.strip(),
    }
    missing = {f: _("This field is required.") for f in ("holder_name", "address") if not values[f]}
    if missing:
        raise PayoutAccountError(missing)
    with transaction.atomic():
        account = PayoutAccount.objects.select_for_update().filter(project=project).first()
        if account is None:
            account = PayoutAccount.objects.create(project=project, **values)
            changed = sorted(values)
            previous_iban = ""
        else:
            changed = sorted(f for f, v in values.items() if getattr(account, f) != v)
            if not changed:
                return account
            previous_iban = account.masked_iban
            for field in changed:
                setattr(account, field, values[field])
            account.save(update_fields=[*changed, "updated_at"])
            # New bank details need verifying again (a no-op when not verified yet).
            account = payout_account_transition(
                account=account, to_status=PayoutAccountStatus.UNVERIFIED, actor=actor
            )
        log_action(
            action="projects.payout_account.changed",
            obj=account,
            actor=actor,
            data={
                "project": project.pk,
                "fields": changed,
                "previous_iban": previous_iban,
                "iban": account.masked_iban,
            },
        )
        _notify_payout_account_change(
            project=project, masked_iban=account.masked_iban, changer=str(actor)
        )
    return account


def _notify_payout_account_change(*, project: Project, masked_iban: str, changer: str) -> None:
    """Tell every maintainer of `project`, after the commit, that its payout
    account changed (the changer too: an account taken over is noticed)."""
    mail_enqueue(
        template="projects/email/payout_account_changed",
        recipients=Maintainership.objects.filter(project=project)
        .order_by("user_id")
        .values_list("user_id", flat=True),
        context={"project": project.name, "changer": changer, "masked_iban": masked_iban},
        links={"url": ("projects:payout_account", [project.slug])},
    )
