"""Celery tasks in tests. The broker is the edge: `queued_tasks(task)` keeps the
keyword arguments of each `task` that the code under test enqueues, and runs
them in this process as a worker would — when the block ends, or at once.
Put it outside `django_capture_on_commit_callbacks(execute=True)`, whose
callbacks are what enqueue."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock


def run_task(task: Any) -> Callable[[dict[str, Any]], Any]:
    """Run `task` with given keyword arguments, raising what it raises."""
    return lambda kwargs: task.apply(kwargs=kwargs, throw=True)


@contextmanager
def queued_tasks(
    task: Any,
    *,
    run: bool = True,
    at_once: bool = False,
    runner: Callable[[dict[str, Any]], Any] | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """The keyword arguments of each `task` enqueued inside the block; each is run
    by `runner` (by default the task itself) when enqueued if `at_once`, else
    when the block ends, unless `run` is false."""
    execute = runner or run_task(task)
    queued: list[dict[str, Any]] = []

    def enqueue(args: Any = None, kwargs: dict[str, Any] | None = None, **options: Any) -> None:
        queued.append(dict(kwargs or {}))
        if run and at_once:
            execute(queued[-1])

    with mock.patch.object(task, "apply_async", enqueue):
        yield queued
    if run and not at_once:
        for kwargs in queued:
            execute(kwargs)
