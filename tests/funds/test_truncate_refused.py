"""TRUNCATE of the append-only tables is refused on PostgreSQL (librery 0004,
funds 0012, allocation 0004): `manage.py flush` or a stray TRUNCATE would
otherwise empty the ledger, the publication log and the runs' receipts."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.db.utils import IntegrityError

from tests.services import is_postgresql, need

pytestmark = pytest.mark.django_db

GUARDED = (
    "funds_journal",
    "funds_journalleg",
    "funds_receipt",
    "librery_publicationentry",
    "allocation_runreceipt",
    "allocation_allocationrun",
)


def _truncate(cursor: Any, tables: str, *, allowed: bool) -> None:
    with transaction.atomic():
        if not allowed:  # the test database's sessions allow it (Django's flush)
            cursor.execute("SET LOCAL librery.truncate = ''")
        cursor.execute(f"TRUNCATE {tables} CASCADE")
        transaction.set_rollback(True)


def test_truncate_is_refused_but_where_the_session_allows_it() -> None:
    need(is_postgresql(), "the guards are PostgreSQL triggers")
    with connection.cursor() as cursor:
        for table in GUARDED:
            with pytest.raises(IntegrityError, match=f"{table} is append-only: TRUNCATE refused"):
                _truncate(cursor, table, allowed=False)
        cursor.execute("SHOW librery.truncate")
        assert cursor.fetchone() == ("allowed",)
        _truncate(cursor, ", ".join(GUARDED), allowed=True)
