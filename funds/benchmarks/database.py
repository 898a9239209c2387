"""Where `manage.py bench_money` measures with real commits: a new database of
the configured vendor, migrated, that the default connection points at while
the benchmark runs and that is dropped afterwards (as `demo/bench_pages.py`
does for its own); and a count of the commits a piece of work makes."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.utils import load_backend


@contextmanager
def new_database(config: dict[str, Any], *, prefix: str = "bench_money") -> Iterator[str]:
    """A new, empty database beside the one `config` (a DATABASES entry)
    describes, dropped after the block: its NAME (a file's path on SQLite)."""
    if connection.vendor == "postgresql":  # pragma: postgresql only
        import psycopg  # noqa: PLC0415 -- PostgreSQL only

        name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        params: dict[str, Any] = {
            "host": config.get("HOST") or "127.0.0.1",
            "port": config.get("PORT") or 5432,
            "user": config.get("USER") or "",
            "password": config.get("PASSWORD") or "",
        }
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')  # a name of our own making
        try:
            yield name
        finally:
            with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    directory = tempfile.mkdtemp(prefix=f"{prefix}-")  # pragma: sqlite only
    try:  # pragma: sqlite only
        yield f"{directory}/bench.sqlite3"
    finally:  # pragma: sqlite only
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def own_database() -> Iterator[None]:
    """Point the default connection at a new database, migrated, for the time
    of the block; the configured database is left as it was, and the new one
    dropped."""
    previous = connections[DEFAULT_DB_ALIAS]
    config = dict(previous.settings_dict)
    with new_database(config) as name:
        config["NAME"] = name
        ours = load_backend(config["ENGINE"]).DatabaseWrapper(config, DEFAULT_DB_ALIAS)
        connections[DEFAULT_DB_ALIAS] = ours
        try:
            call_command("migrate", verbosity=0, interactive=False)
            yield
        finally:
            ours.close()
            connections[DEFAULT_DB_ALIAS] = previous
            ContentType.objects.clear_cache()  # its ids were the new database's


_WRITES = ("INSERT", "UPDATE", "DELETE", "COPY")


class Committed:
    """Counts the statements of the default connection (not the BEGIN that
    SQLite runs as one: PostgreSQL's is not seen here either) and its commits:
    those that close a transaction, and each write run in autocommit mode."""

    def __init__(self) -> None:
        self.queries = 0
        self.commits = 0

    def _execute(self, execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        head = sql.lstrip().upper()
        # SQLite runs a transaction's BEGIN as a statement.
        if head.startswith("BEGIN"):  # pragma: sqlite only branch
            return execute(sql, *args)  # pragma: sqlite only
        self.queries += 1
        if not connection.in_atomic_block and head.startswith(_WRITES):
            self.commits += 1
        return execute(sql, *args)

    @contextmanager
    def counting(self) -> Iterator[Committed]:
        wrapper = connections[DEFAULT_DB_ALIAS]
        commit: Callable[[], None] = wrapper.commit

        def counted() -> None:
            self.commits += 1
            commit()

        wrapper.commit = counted  # type: ignore[method-assign]
        try:
            with wrapper.execute_wrapper(self._execute):
                yield self
        finally:
            del wrapper.commit
