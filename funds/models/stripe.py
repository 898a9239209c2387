"""Stripe events, stored once with how their handling went."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from funds.enums import (
    PaymentEventSource,
    StripeEventStatus,
)


class StripeEvent(models.Model):
    """A Stripe event, stored once (unique id) in the same transaction as its
    effects, with how its handling went (and the error of a failed one)."""

    stripe_event_id = models.CharField(_("Stripe event"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100)
    object_id = models.CharField(_("Stripe object"), max_length=255, blank=True)
    livemode = models.BooleanField(_("live mode"), default=False)
    source = models.CharField(_("source"), max_length=20, choices=PaymentEventSource.choices)
    created_on_stripe_at = models.DateTimeField(_("created on Stripe at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=StripeEventStatus.choices,
        default=StripeEventStatus.RECEIVED,
    )
    error = models.TextField(_("error"), blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.stripe_event_id} {self.type}"
