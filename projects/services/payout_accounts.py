"""Payout accounts: entered by maintainers, verified by an administrator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from librery.services import log_action
from projects.banking import BankDetailsError, bank_details_validate
from projects.enums import PayoutAccountStatus
from projects.models import (
    Maintainership,
    PayoutAccount,
    Project,
)
from projects.permissions import is_maintainer


class PayoutAccountError(Exception):
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
    with transaction.atomic():
        locked = PayoutAccount.objects.select_for_update(of=("self",)).get(pk=account.pk)
        if locked.status == to_status:
            return locked
        if to_status not in PAYOUT_ACCOUNT_TRANSITIONS[locked.status]:
            raise PayoutAccountError({"status": _("This change of status is not allowed.")})
        locked.status = to_status
        verified = to_status == PayoutAccountStatus.VERIFIED
        locked.verified_at = (now or timezone.now()) if verified else None
        locked.verified_by = actor if verified else None
        locked.save(update_fields=["status", "verified_at", "verified_by", "updated_at"])
        log_action(
            action=f"projects.payout_account.{to_status}",
            obj=locked,
            actor=actor,
            data={"project": locked.project_id, "iban": locked.masked_iban},
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
            account.status = PayoutAccountStatus.UNVERIFIED
            account.verified_at = None
            account.verified_by = None
            account.save(
                update_fields=[*changed, "status", "verified_at", "verified_by", "updated_at"]
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
        recipients = list(
            Maintainership.objects.filter(project=project)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
        masked = account.masked_iban
        changer = str(actor)
        transaction.on_commit(
            lambda: _notify_payout_account_change(
                project=project, recipients=recipients, masked_iban=masked, changer=changer
            )
        )
    return account


def _notify_payout_account_change(
    *, project: Project, recipients: list[str], masked_iban: str, changer: str
) -> None:
    subject = _("[The Librery] The payout account of %(project)s was changed") % {
        "project": project.name
    }
    body = _(
        "%(changer)s changed the payout account of %(project)s. The account is now "
        "%(iban)s and no payout will be made until an administrator verifies it.\n\n"
        "If you did not expect this change, contact the fund's administrators at once."
    ) % {"changer": changer, "project": project.name, "iban": masked_iban}
    send_mass_mail(
        [(subject, body, None, [address]) for address in recipients], fail_silently=False
    )
