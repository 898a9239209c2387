from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from contributors.models import User
from governance import services
from governance.enums import BallotKind
from governance.models import Ballot, Mandate, Seat
from projects.enums import ProjectStatus
from tests.factories import ProjectFactory, UserFactory
from tests.mail import mail_tasks


@pytest.fixture
def colleges(db: None) -> None:
    services.college_defaults_ensure(at=timezone.now() - timedelta(days=400))


@pytest.fixture
def seat_up(colleges: None) -> Callable[..., Mandate]:
    """Give seat `number` of `college` to a (new) holder, in force today."""

    def make(college: str, number: int, holder: User | None = None, **kwargs: Any) -> Mandate:
        today = timezone.localdate()
        return services.mandate_create(
            seat=Seat.objects.get(college__code=college, number=number),
            holder=holder or UserFactory.create(),
            start_date=today - timedelta(days=10),
            end_date=today + timedelta(days=365),
            **kwargs,
        )

    return make


@pytest.fixture
def board(seat_up: Callable[..., Mandate]) -> dict[str, list[User]]:
    """Three commoners, two public actors, one private actor, one scientist."""
    layout = {"commoners": 3, "public": 2, "private": 1, "scientific": 1}
    return {
        code: [seat_up(code, n).holder for n in range(1, count + 1)]
        for code, count in layout.items()
    }


@pytest.fixture
def admitted(db: None) -> list[Any]:
    return ProjectFactory.create_batch(3, status=ProjectStatus.ADMITTED)


@pytest.fixture
def staff(db: None) -> User:
    return UserFactory.create(is_staff=True, display_name="Staff Admin")


@pytest.fixture
def open_ballot(staff: User, django_capture_on_commit_callbacks: Any) -> Callable[..., Ballot]:
    """Create and open a ballot now (its emails sent by the mail tasks), closing
    in three days."""

    def make(kind: str = BallotKind.MOTION, **kwargs: Any) -> Ballot:
        ballot = services.ballot_create(
            kind=kind,
            title=kwargs.pop("title", "A motion"),
            closes_at=timezone.now() + timedelta(days=3),
            actor=staff,
            **kwargs,
        )
        with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
            return services.ballot_open(ballot=ballot, actor=staff, at=timezone.now())

    return make
