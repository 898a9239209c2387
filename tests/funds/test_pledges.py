"""The money side of a pledge: an amount that is not whole cents is refused,
and a bank transfer pledge submitted twice keeps its one payment request."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.utils import timezone

from contributors.enums import PaymentMethod, PledgeFrequency, Visibility
from contributors.models import User
from contributors.services import ContributionError
from funds.models import PaymentRequest
from funds.services.pledges import pledge_submit, pledge_validate

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.mark.parametrize("amount", ["5000", 50.0, True])
def test_an_amount_that_is_not_whole_cents_is_refused(amount: Any) -> None:
    with pytest.raises(ContributionError) as caught:
        pledge_validate(amount_cents=amount, earmarks=[], at=timezone.now())
    assert str(caught.value) == "Enter an amount in euros, such as 50 or 50,00."


def test_a_double_submit_keeps_one_payment_request(contributor_user: User) -> None:
    token = uuid.uuid4()

    def submit() -> Any:
        return pledge_submit(
            amount_cents=5_000,
            user=contributor_user,
            organisation=None,
            visibility=Visibility.NAMED,
            frequency=PledgeFrequency.ONE_TIME,
            payment_method=PaymentMethod.BANK_TRANSFER,
            earmarks=[],
            idempotency_token=token,
        )

    first, second = submit(), submit()
    assert first.pk == second.pk
    assert PaymentRequest.objects.filter(pledge=first).count() == 1
