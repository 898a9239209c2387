"""The one status-change helper: lock, no-op, map, save, event, audit."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from librery.models import LogEntry
from librery.transitions import transition
from projects.models import Project
from tests.factories import ProjectFactory, UserFactory
from tests.services import is_postgresql, need

pytestmark = [pytest.mark.integration]

# A map of our own, so the helper is tested apart from any app's rules.
MOVES: dict[str, frozenset[str]] = {
    "proposed": frozenset({"admitted"}),
    "admitted": frozenset({"suspended"}),
    "suspended": frozenset(),
}


class RefusedError(ValueError):
    """The caller's domain error."""


class Recorder:
    """The caller's event writer: remembers each call (thread-safe)."""

    def __init__(self, pause: float = 0.0) -> None:
        self.calls: list[tuple[int, str, str]] = []
        self.pause = pause
        self.lock = threading.Lock()

    def __call__(self, row: Project, previous: str) -> None:
        time.sleep(self.pause)  # hold the row lock a while, so a racer must wait
        with self.lock:
            self.calls.append((row.pk, previous, row.status))


def move(project: Project, to_status: str, **hooks: Any) -> tuple[Project, bool]:
    return transition(
        instance=project,
        to_status=to_status,
        transitions=MOVES,
        action=f"tests.project.{to_status}",
        error_cls=RefusedError,
        **hooks,
    )


def actions() -> list[tuple[str, str, dict[str, Any]]]:
    return list(LogEntry.objects.order_by("id").values_list("action", "object_id", "data"))


@pytest.mark.django_db
def test_a_move_saves_the_status_writes_the_event_and_one_audit_entry() -> None:
    project = ProjectFactory.create()
    Project.objects.filter(pk=project.pk).update(updated_at=timezone.now() - timedelta(days=1))
    actor = UserFactory.create()
    recorder = Recorder()

    moved, changed = move(
        project,
        "admitted",
        actor=actor,
        event=recorder,
        data=lambda row, previous: {"from": previous, "to": row.status},
    )

    assert changed is True
    assert moved.status == "admitted"
    fresh = Project.objects.get(pk=project.pk)
    assert fresh.status == "admitted"
    assert fresh.updated_at > timezone.now() - timedelta(minutes=1)
    assert recorder.calls == [(project.pk, "proposed", "admitted")]
    assert actions() == [
        ("tests.project.admitted", str(project.pk), {"from": "proposed", "to": "admitted"})
    ]
    assert LogEntry.objects.get().actor == actor


@pytest.mark.django_db
def test_already_in_the_target_status_is_a_no_op() -> None:
    project = ProjectFactory.create()
    recorder = Recorder()
    move(project, "admitted", event=recorder)

    again, changed = move(project, "admitted", event=recorder, data={"second": True})

    assert (changed, again.status) == (False, "admitted")
    assert recorder.calls == [(project.pk, "proposed", "admitted")]
    assert [action for action, _id, _data in actions()] == ["tests.project.admitted"]


@pytest.mark.django_db
def test_a_move_the_map_refuses_raises_the_callers_error_naming_both_statuses() -> None:
    project = ProjectFactory.create()
    recorder = Recorder()

    with pytest.raises(RefusedError) as refused:
        move(project, "suspended", event=recorder)

    assert str(refused.value) == f"Project #{project.pk} cannot go from “Proposed” to “Suspended”."
    assert Project.objects.get(pk=project.pk).status == "proposed"
    assert recorder.calls == []
    assert actions() == []


@pytest.mark.django_db
def test_the_caller_words_its_refusal_and_may_call_a_late_report_a_no_op() -> None:
    project = ProjectFactory.create(status="suspended")

    with pytest.raises(RefusedError, match=r"^no: suspended -> admitted$"):
        move(project, "admitted", message=lambda row, to: f"no: {row.status} -> {to}")
    late, changed = move(project, "admitted", went_through=lambda row: row.status == "suspended")

    assert (changed, late.status) == (False, "suspended")
    assert actions() == []


@pytest.mark.django_db
def test_fields_and_prepare_are_saved_with_the_status_and_prepare_may_refuse() -> None:
    project = ProjectFactory.create(name="Old", summary="Old summary")

    def rename(row: Project) -> list[str]:
        row.summary = "Prepared"
        return ["summary"]

    moved, _changed = move(project, "admitted", fields={"name": "New"}, prepare=rename)

    fresh = Project.objects.get(pk=project.pk)
    assert (fresh.status, fresh.name, fresh.summary) == ("admitted", "New", "Prepared")
    assert (moved.name, moved.summary) == ("New", "Prepared")

    def refuse(row: Project) -> list[str]:
        row.summary = "Never saved"
        Project.objects.filter(pk=row.pk).update(name="Rolled back")
        raise RefusedError("not now")

    recorder = Recorder()
    with pytest.raises(RefusedError, match="not now"):
        move(project, "suspended", prepare=refuse, event=recorder)
    fresh = Project.objects.get(pk=project.pk)
    assert (fresh.status, fresh.name, fresh.summary) == ("admitted", "New", "Prepared")
    assert recorder.calls == []
    assert [action for action, _id, _data in actions()] == ["tests.project.admitted"]


@pytest.mark.django_db(transaction=True)
def test_two_threads_moving_the_same_row_write_one_event() -> None:
    need(is_postgresql(), "row locks need PostgreSQL")
    project = ProjectFactory.create()
    recorder = Recorder(pause=0.3)
    start = threading.Barrier(2)

    def racer(_index: int) -> bool:
        try:
            start.wait(timeout=10)
            return move(project, "admitted", event=recorder)[1]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        changed = sorted(pool.map(racer, range(2)))

    assert changed == [False, True]
    assert recorder.calls == [(project.pk, "proposed", "admitted")]
    assert [action for action, _id, _data in actions()] == ["tests.project.admitted"]
    assert Project.objects.get(pk=project.pk).status == "admitted"


@pytest.mark.django_db
def test_a_row_the_caller_locked_is_moved_as_it_is_without_a_second_read() -> None:
    project = ProjectFactory.create()
    with transaction.atomic():
        row = Project.objects.select_for_update().get(pk=project.pk)
        with CaptureQueriesContext(connection) as captured:
            moved, changed = move(row, "admitted", locked=True)

    assert (moved is row, changed, Project.objects.get(pk=project.pk).status) == (
        True,
        True,
        "admitted",
    )
    statements = [query["sql"] for query in captured.captured_queries]
    assert [sql.split()[0] for sql in statements] == ["UPDATE", "INSERT"]  # status, audit


def test_a_row_said_locked_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError, match="transaction open"):
        move(Project(pk=1, status="proposed"), "admitted", locked=True)
