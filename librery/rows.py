"""Many rows written at once, without a model instance each.

`rows_write(model, columns, rows)` inserts `rows` (tuples of values for the
fields named by `columns`, by attname: `payment_id`, not `payment`) into
`model`'s table. Every other field gets its default, and `now` when it is an
automatic timestamp, each computed once for all the rows (so not for a field
whose default must differ from row to row, a random token say). On
PostgreSQL it is one COPY; elsewhere `bulk_create`.

Use it for rows nobody reads back in the same breath (audit entries, payment
events, earmark lines, a run's destinations): it returns no ids. Django's
`bulk_create` builds a model instance and prepares every value field by field,
which costs more than the database's work for such narrow rows: 600 audit
entries take 27 ms through it and 7 ms through COPY (`manage.py bench_money`'s
renewals and statements write thousands)."""

from __future__ import annotations

import enum
import functools
import itertools
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone


class RowsError(Exception):
    """The rows do not fit the model (a programming error)."""


def _fixed_fields(
    model: type[models.Model], columns: Sequence[str]
) -> tuple[list[str], list[Any], list[models.Field[Any, Any]]]:
    """The fields the rows leave out, with the value each gets, and the given
    fields in `columns`' order."""
    meta = model._meta  # noqa: SLF001 -- Django's documented Options API
    by_attname = {field.attname: field for field in meta.concrete_fields}
    unknown = [name for name in columns if name not in by_attname]
    if unknown:
        raise RowsError(f"{meta.label} has no field {', '.join(unknown)}.")
    now = timezone.now()
    names: list[str] = []
    values: list[Any] = []
    for field in meta.concrete_fields:
        if field.attname in columns or field.primary_key:
            continue
        automatic = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        value = now if automatic else field.get_default()
        if value is None and not field.null:
            raise RowsError(f"No value for {meta.label}.{field.name}.")
        names.append(field.attname)
        values.append(value)
    return names, values, [by_attname[name] for name in columns]


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def rows_write(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert `rows` into `model`'s table (see the module's text); no rows, no statement."""
    names, fixed, given = _fixed_fields(model, columns)
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    rows = itertools.chain([first], rows)
    if connection.vendor != "postgresql":  # pragma: no branch -- one way per vendor
        model._default_manager.bulk_create(  # noqa: SLF001 # pragma: sqlite only
            model(**dict(zip(columns, row, strict=True)), **dict(zip(names, fixed, strict=True)))
            for row in rows
        )
        return  # pragma: sqlite only
    sql, tail = _copy_statement(model, columns, names, fixed)  # pragma: postgresql only
    # JSON prepared as Django would; psycopg takes the other values as they are.
    prepare = [  # pragma: postgresql only
        isinstance(field, models.JSONField) for field in given
    ]

    def copy_rows(*_args: Any) -> None:  # pragma: postgresql only
        with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(
                    tuple(
                        field.get_db_prep_save(value, connection) if json else _plain(value)
                        for field, json, value in zip(given, prepare, row, strict=True)
                    )
                    + tail
                )

    connection.ensure_connection()  # pragma: postgresql only
    _counted(sql, copy_rows)  # pragma: postgresql only


def copy_statement(  # pragma: postgresql only
    model: type[models.Model], columns: Sequence[str]
) -> tuple[str, tuple[Any, ...]]:
    """PostgreSQL's `COPY … FROM STDIN` of rows giving `columns` (attnames) to
    `model`'s table, and the prepared values of every other field, to add at
    the end of each row (what `rows_write` sends; the benchmarks, which write
    millions of rows with JSON already serialised, send their own rows)."""
    names, fixed, _given = _fixed_fields(model, columns)
    return _copy_statement(model, columns, names, fixed)


def _copy_statement(  # pragma: postgresql only
    model: type[models.Model], columns: Sequence[str], names: list[str], fixed: list[Any]
) -> tuple[str, tuple[Any, ...]]:
    meta = model._meta  # noqa: SLF001 -- Django's documented Options API
    by_attname = {f.attname: f for f in meta.concrete_fields}
    tail = tuple(
        by_attname[name].get_db_prep_save(_plain(value), connection)
        for name, value in zip(names, fixed, strict=True)
    )
    quoted = ", ".join(
        connection.ops.quote_name(str(by_attname[name].column)) for name in [*columns, *names]
    )
    return f"COPY {meta.db_table} ({quoted}) FROM STDIN", tail


def _counted(sql: str, run: Callable[..., None]) -> None:  # pragma: postgresql only
    """Run `run` as the statement `sql` through the connection's execute
    wrappers and query log, as Django runs a cursor's `execute`: query counters
    (tests, benchmarks, the request log) see a COPY as the one statement it is."""
    executor: Callable[..., None] = run
    for wrapper in reversed(connection.execute_wrappers):
        executor = functools.partial(wrapper, executor)
    started = time.monotonic()
    executor(sql, None, False, {"connection": connection, "cursor": None})
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
