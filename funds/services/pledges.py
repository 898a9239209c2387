"""The money side of a pledge: the fund settings in force (the amount's limits
and the earmark cap) checked around `contributors`' pledge services, and a
bank transfer pledge's payment request issued in the same transaction.

`contributors` sits below `funds` and does not read fund settings; every pledge
that is created or changed goes through these functions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contributors import services as contributor_services
from contributors.enums import PaymentMethod
from contributors.models import Pledge, Sbom, User
from contributors.services import ContributionError, EarmarkInput
from funds.enums import FundSettingKey, PaymentRequestStatus
from funds.models import PaymentRequest
from funds.money import Money, MoneyError, format_money
from funds.selectors import fund_settings_at
from funds.services.bank_transfers import payment_request_cancel, payment_request_issue
from projects.models import Project


def pledge_validate(
    *, amount_cents: int, earmarks: list[EarmarkInput], at: datetime
) -> dict[int, Project]:
    """Check an amount and earmarks against the fund settings in force at `at`;
    returns the earmarked projects by id. Raises `ContributionError` with the reason."""
    return contributor_services.pledge_validate(
        amount_cents=amount_cents,
        earmarks=earmarks,
        earmark_cap_bp=_check_amount(amount_cents=amount_cents, at=at),
    )


def _check_amount(*, amount_cents: int, at: datetime) -> int:
    """The amount within the pledge limits in force at `at`; returns the earmark cap."""
    settings_now = fund_settings_at(at=at)
    low = settings_now[FundSettingKey.PLEDGE_MIN_CENTS]
    high = settings_now[FundSettingKey.PLEDGE_MAX_CENTS]
    try:
        Money(amount_cents, "EUR")
    except MoneyError:
        raise ContributionError(_("Enter an amount in euros, such as 50 or 50,00.")) from None
    if amount_cents < low:
        raise ContributionError(
            _("The minimum pledge is %(amount)s.") % {"amount": format_money(low)}
        )
    if amount_cents > high:
        raise ContributionError(
            _("The maximum pledge is %(amount)s.") % {"amount": format_money(high)}
        )
    return settings_now[FundSettingKey.EARMARK_CAP_BP]


def _issue_request_if_due(*, pledge: Pledge, actor: User) -> None:
    """A bank transfer pledge gets its payment request at once (only the first time:
    a double submit returns the pledge already made, with its request)."""
    if pledge.payment_method != PaymentMethod.BANK_TRANSFER:
        return
    if not PaymentRequest.objects.filter(pledge=pledge).exists():
        payment_request_issue(pledge=pledge, actor=actor)


def _within_settings(
    create: Callable[..., Pledge], *, amount_cents: int, actor: User, **arguments: Any
) -> Pledge:
    cap = _check_amount(amount_cents=amount_cents, at=timezone.now())
    with transaction.atomic():
        pledge = create(amount_cents=amount_cents, earmark_cap_bp=cap, **arguments)
        _issue_request_if_due(pledge=pledge, actor=actor)
    return pledge


def pledge_create(*, amount_cents: int, actor: User, **arguments: Any) -> Pledge:
    """A new pledge within the fund settings in force, with its payment request
    when it is paid by bank transfer. The arguments are those of
    `contributors.services.pledge_create`, less the earmark cap."""
    return _within_settings(
        lambda **given: contributor_services.pledge_create(actor=actor, **given),
        amount_cents=amount_cents,
        actor=actor,
        **arguments,
    )


def pledge_submit(*, amount_cents: int, user: User, **arguments: Any) -> Pledge:
    """The pledge form within the fund settings in force, with a bank transfer's
    payment request. The arguments are those of `contributors.services.pledge_submit`,
    less the earmark cap."""
    return _within_settings(
        lambda **given: contributor_services.pledge_submit(user=user, **given),
        amount_cents=amount_cents,
        actor=user,
        **arguments,
    )


def pledge_amend(
    *,
    pledge: Pledge,
    actor: User,
    amount_cents: int,
    earmarks: list[EarmarkInput],
    sbom: Sbom | None = None,
) -> Pledge:
    """Change a monthly pledge's amount and earmarks within the fund settings in
    force (see `contributors.services.pledge_amend`)."""
    cap = _check_amount(amount_cents=amount_cents, at=timezone.now())
    return contributor_services.pledge_amend(
        pledge=pledge,
        actor=actor,
        amount_cents=amount_cents,
        earmarks=earmarks,
        earmark_cap_bp=cap,
        sbom=sbom,
    )


def pledge_cancel(*, pledge: Pledge, actor: User) -> Pledge:
    """Cancel a pledge (see `contributors.services.pledge_cancel`) and its payment
    requests still awaiting payment, so nobody is asked to pay it any more.
    Every cancellation of a pledge goes through here."""
    with transaction.atomic():
        # The requests first, then the pledge: the order a statement's booking takes.
        open_requests = list(
            PaymentRequest.objects.select_for_update(of=("self",))
            .filter(pledge=pledge, status=PaymentRequestStatus.AWAITING_PAYMENT)
            .order_by("pk")
        )
        cancelled = contributor_services.pledge_cancel(pledge=pledge, actor=actor)
        for request in open_requests:
            payment_request_cancel(request=request, actor=actor)
    return cancelled
