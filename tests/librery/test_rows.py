"""`rows_write`: many rows in one statement, without a model instance each
(PostgreSQL's COPY, `bulk_create` elsewhere), seen by query counters."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from funds.models import PaymentEvent
from librery.models import LogEntry
from librery.rows import RowsError, rows_write

pytestmark = pytest.mark.django_db


class Kind(models.TextChoices):
    MADE = "x.made", "made"


def test_rows_get_their_values_defaults_and_timestamps() -> None:
    before = timezone.now()
    rows_write(
        LogEntry,
        ("action", "object_type", "object_id", "data"),
        [
            (Kind.MADE, "x.thing", "1", {"note": "« tab\there »", "n": [1, None, True]}),
            ("x.other", "x.thing", "2", {}),
        ],
    )
    rows_write(LogEntry, ("action", "object_type", "object_id"), [("x.bare", "x.thing", "3")])
    after = timezone.now()
    entries = list(LogEntry.objects.order_by("object_id"))
    assert [(e.action, e.object_id, e.data, e.actor_id) for e in entries] == [
        ("x.made", "1", {"note": "« tab\there »", "n": [1, None, True]}, None),
        ("x.other", "2", {}, None),
        ("x.bare", "3", {}, None),  # the field's default
    ]
    assert all(before <= e.created_at <= after for e in entries)  # auto_now_add
    assert len({e.pk for e in entries}) == 3  # the table's own ids


def test_a_write_is_one_statement_that_counters_see_and_no_rows_is_none() -> None:
    seen: list[str] = []

    def spy(execute: Any, sql: str, *args: Any) -> Any:
        seen.append(sql)
        return execute(sql, *args)

    rows = [("x.made", "x.thing", str(i)) for i in range(50)]
    with CaptureQueriesContext(connection) as logged, connection.execute_wrapper(spy):
        rows_write(LogEntry, ("action", "object_type", "object_id"), rows)
        rows_write(LogEntry, ("action", "object_type", "object_id"), iter([]))
    assert len(logged.captured_queries) == 1
    assert len(seen) == 1
    assert seen[0].split()[0] in {"COPY", "INSERT"}
    assert LogEntry.objects.count() == 50


def test_rows_that_do_not_fit_the_model_are_refused() -> None:
    with pytest.raises(RowsError, match="has no field payment"):
        rows_write(PaymentEvent, ("payment", "status"), [(1, "pending")])
    with pytest.raises(RowsError, match=r"No value for funds\.PaymentEvent\.at"):
        rows_write(PaymentEvent, ("payment_id", "status", "source"), [(1, "pending", "system")])
    assert PaymentEvent.objects.count() == 0
