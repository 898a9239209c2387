"""Reads of the Stripe part: the payments an administrator may refund."""

from __future__ import annotations

from django.db.models import QuerySet

from funds.enums import PaymentStatus
from funds.models import Payment
from funds.stripe.services import STRIPE_METHOD_TYPES


def refundable_stripe_payments() -> QuerySet[Payment]:
    """Succeeded (or partly refunded) Stripe payments, newest first, with their
    contributor, in one query."""
    return (
        Payment.objects.filter(status=PaymentStatus.SUCCEEDED, method__in=list(STRIPE_METHOD_TYPES))
        .exclude(stripe_payment_intent_id=None)
        .select_related("pledge__contributor")
        .order_by("-created_at", "-id")
    )
