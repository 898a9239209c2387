"""Workers making the same run's payout batch at once end with one batch
(PostgreSQL: the run's row lock, then the batch found under it)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import override_settings

from allocation.models import Payout, PayoutBatch
from allocation.services import payout_batch_create
from funds.enums import JournalSource
from funds.models import Journal
from funds.selectors import books_check
from tests.allocation.disbursement import approve, computed_month, make_admin
from tests.services import is_postgresql, need

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_four_workers_making_the_batch_at_once_make_one() -> None:
    need(is_postgresql(), "row locks need PostgreSQL")
    month = computed_month()
    approve(make_admin("Ada Admin", "ada@example.org"), month.run)
    approve(make_admin("Bob Admin", "bob@example.org"), month.run)

    def make(_index: int) -> int:
        try:
            return payout_batch_create(run=month.run, via="task").pk
        finally:
            connection.close()

    # The first worker waits inside its transaction: the others pass the first
    # look (no batch yet), wait for the run's lock, then find the batch.
    with override_settings(LIBRERY_ALLOCATION_PAUSE_SECONDS=1), ThreadPoolExecutor(4) as pool:
        made = set(pool.map(make, range(4)))
    assert made == {PayoutBatch.objects.get().pk}
    assert Payout.objects.count() == 1
    assert Journal.objects.filter(source=JournalSource.PAYOUT).count() == 1
    assert books_check() == []
