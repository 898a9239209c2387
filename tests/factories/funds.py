"""Factories of the funds app. Receipts and journals are made through the
services (`payment_succeed`, `journal_post`) so that the books stay balanced."""

from __future__ import annotations

import factory
from django.utils import timezone

from funds.enums import AccountKind, PaymentEventSource, PaymentMethod, PaymentStatus, RefundKind
from funds.models import Account, Payment, PaymentEvent, Refund
from tests.factories.contributors import PledgeFactory


class AccountFactory(factory.django.DjangoModelFactory[Account]):
    class Meta:
        model = Account
        django_get_or_create = ("kind", "project")

    kind = AccountKind.POOL
    project = None


class PaymentFactory(factory.django.DjangoModelFactory[Payment]):
    class Meta:
        model = Payment

    pledge = factory.SubFactory(PledgeFactory)
    method = PaymentMethod.CARD
    status = PaymentStatus.CREATED
    amount_cents = factory.LazyAttribute(lambda o: o.pledge.amount_cents)
    idempotency_key = factory.Sequence(lambda n: f"test-payment-{n}")


class PaymentEventFactory(factory.django.DjangoModelFactory[PaymentEvent]):
    class Meta:
        model = PaymentEvent

    payment = factory.SubFactory(PaymentFactory)
    status = PaymentStatus.CREATED
    at = factory.LazyFunction(timezone.now)
    source = PaymentEventSource.SYSTEM


class RefundFactory(factory.django.DjangoModelFactory[Refund]):
    class Meta:
        model = Refund

    payment = factory.SubFactory(PaymentFactory, status=PaymentStatus.SUCCEEDED)
    kind = RefundKind.REFUND
    amount_cents = 1000
