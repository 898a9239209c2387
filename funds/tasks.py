"""funds: tasks (thin: one call each)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from funds.models import BankStatement
from funds.selectors import books_check
from funds.services import payment_requests_issue_due
from funds.services.statements import bank_statement_process
from funds.stripe.client import GatewayError
from funds.stripe.renewals import pledges_charge_due
from funds.stripe.webhooks import RECONCILE_WINDOW, stripe_event_handle, stripe_reconcile

logger = logging.getLogger(__name__)


@shared_task(name="funds.check_books", queue="default")
def check_books(**kwargs: Any) -> list[str]:
    """The daily conservation check; logs an error naming each broken invariant."""
    problems = books_check()
    for problem in problems:
        logger.error(
            "books check failed", extra={"invariant": problem.invariant, "detail": problem.detail}
        )
    return [problem.invariant for problem in problems]


@shared_task(name="funds.charge_due_pledges", queue="default", acks_late=True)
def charge_due_pledges(**kwargs: Any) -> dict[str, int]:
    """Daily: charge the monthly pledges whose month is due, retry failed ones."""
    if not settings.USE_STRIPE:
        return {"charged": 0, "retried": 0}
    run = pledges_charge_due(today=timezone.localdate())
    logger.info("monthly charges", extra={"charged": run.charged, "retried": run.retried})
    return {"charged": run.charged, "retried": run.retried}


@shared_task(
    name="funds.handle_stripe_event",
    queue="default",
    acks_late=True,
    autoretry_for=(GatewayError,),
    retry_backoff=30,
    max_retries=5,
)
def handle_stripe_event(*, event_id: int, **kwargs: Any) -> bool:
    """A stored Stripe event, handled once after the webhook answered; Stripe
    unreachable: retried with backoff (then the hourly reconciliation)."""
    return stripe_event_handle(event_id=event_id)


@shared_task(name="funds.stripe_reconcile", queue="default", acks_late=True)
def stripe_reconcile_recent(**kwargs: Any) -> dict[str, int]:
    """Hourly: recover lost webhooks and interrupted charges from Stripe's own lists."""
    if not settings.USE_STRIPE:
        return {"events_applied": 0, "payments_synced": 0, "claims_resumed": 0}
    result = stripe_reconcile(since=timezone.now() - RECONCILE_WINDOW)
    return {
        "events_applied": result.events_applied,
        "payments_synced": result.payments_synced,
        "claims_resumed": result.claims_resumed,
    }


@shared_task(name="funds.issue_due_payment_requests", queue="default")
def issue_due_payment_requests(**kwargs: Any) -> int:
    """Daily: payment requests for monthly pledges paid by bank transfer."""
    return len(payment_requests_issue_due(today=timezone.localdate()))


@shared_task(name="funds.import_statement", queue="default", acks_late=True)
def import_statement(*, statement_id: int, **kwargs: Any) -> str:
    """Match and book an uploaded statement's lines, in batches (resumes where
    a killed worker stopped; does nothing once done). Returns its status."""
    statement = BankStatement.objects.filter(pk=statement_id).first()
    if statement is None:
        return "missing"
    return str(bank_statement_process(statement=statement).status)
