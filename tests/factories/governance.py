"""Governance factories, one per model, with no surprising behaviour."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from governance.enums import BallotEventKind, BallotKind, CollegeCode, InterestKind
from governance.models import (
    Ballot,
    BallotEvent,
    College,
    CollegeWeight,
    DeclaredInterest,
    Mandate,
    Meeting,
    Proxy,
    Seat,
    Vote,
)
from tests.factories.core import ProjectFactory, UserFactory


class CollegeFactory(factory.django.DjangoModelFactory[College]):
    class Meta:
        model = College
        django_get_or_create = ("code",)

    code = CollegeCode.COMMONERS
    name = factory.LazyAttribute(lambda o: str(CollegeCode(o.code).label))
    seat_count = 3


class CollegeWeightFactory(factory.django.DjangoModelFactory[CollegeWeight]):
    class Meta:
        model = CollegeWeight

    college = factory.SubFactory(CollegeFactory)
    weight_bp = 5100
    effective_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    decision_reference = "statutes"


class SeatFactory(factory.django.DjangoModelFactory[Seat]):
    class Meta:
        model = Seat

    college = factory.SubFactory(CollegeFactory)
    number = factory.Sequence(lambda n: n + 1)


class MandateFactory(factory.django.DjangoModelFactory[Mandate]):
    class Meta:
        model = Mandate

    seat = factory.SubFactory(SeatFactory)
    holder = factory.SubFactory(UserFactory)
    substitute = None
    start_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    end_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365))


class DeclaredInterestFactory(factory.django.DjangoModelFactory[DeclaredInterest]):
    class Meta:
        model = DeclaredInterest

    user = factory.SubFactory(UserFactory)
    project = factory.SubFactory(ProjectFactory)
    kind = InterestKind.EMPLOYS


class MeetingFactory(factory.django.DjangoModelFactory[Meeting]):
    class Meta:
        model = Meeting

    held_on_date = factory.LazyFunction(timezone.localdate)
    title = factory.Sequence(lambda n: f"Meeting {n}")


class BallotFactory(factory.django.DjangoModelFactory[Ballot]):
    """A draft ballot; open it with `services.ballot_open`."""

    class Meta:
        model = Ballot

    kind = BallotKind.MOTION
    title = factory.Sequence(lambda n: f"Ballot {n}")
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class VoteFactory(factory.django.DjangoModelFactory[Vote]):
    class Meta:
        model = Vote

    ballot = factory.SubFactory(BallotFactory)
    seat = factory.SubFactory(SeatFactory)
    member = factory.SubFactory(UserFactory)
    cast_by = factory.SelfAttribute("member")
    choice = "for"
    receipt = factory.Sequence(lambda n: f"{n:064x}")
    cast_at = factory.LazyFunction(timezone.now)


class ProxyFactory(factory.django.DjangoModelFactory[Proxy]):
    class Meta:
        model = Proxy

    ballot = factory.SubFactory(BallotFactory)
    giver = factory.SubFactory(UserFactory)
    holder = factory.SubFactory(UserFactory)
    seat = factory.SubFactory(SeatFactory)


class BallotEventFactory(factory.django.DjangoModelFactory[BallotEvent]):
    class Meta:
        model = BallotEvent

    ballot = factory.SubFactory(BallotFactory)
    kind = BallotEventKind.OPENED
    at = factory.LazyFunction(timezone.now)
