"""Whether card and SEPA payments through Stripe are on (`STRIPE_SECRET_KEY` set)."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def stripe_enabled() -> bool:
    return bool(settings.USE_STRIPE)
