"""The publication log: an append-only, hash-chained record of every released
ballot's bundle and every computed month's document. verify.py (standard
library only) recomputes its chain from /transparency/log.json, fetches every
document and checks its hash, and says where an altered, removed or reordered
entry breaks it."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client

import verify
from allocation.models import AllocationRun
from contributors.models import User
from governance import services as governance_services
from governance.enums import BallotStatus
from governance.models import Ballot, Seat
from librery import selectors
from librery.models import PublicationEntry, PublicationKind
from librery.publication import GENESIS_HASH, public_path
from librery.services import PublicationError, publication_append
from tests.allocation.test_recompute import _scenario as computed_march
from tests.factories import UserFactory
from tests.factories.governance import BallotFactory
from tests.services import need
from tests.verification import client_fetch

pytestmark = [pytest.mark.integration]
AT = datetime(2026, 4, 1, 9, 30, 15, 123456, tzinfo=UTC)
LOG = "http://testserver/transparency/log.json"


def _append(reference: str, sha256: str = "ab" * 32, at: datetime = AT) -> PublicationEntry:
    return publication_append(
        kind=PublicationKind.BALLOT,
        reference=reference,
        url=f"/x/{reference}",
        sha256=sha256,
        at=at,
    )


def release_a_ballot(staff: User) -> Ballot:
    governance_services.college_defaults_ensure(at=AT - timedelta(days=400))
    voter = UserFactory.create()
    governance_services.mandate_create(
        seat=Seat.objects.get(college__code="commoners", number=1),
        holder=voter,
        start_date=(datetime.now(UTC) - timedelta(days=10)).date(),
        end_date=(datetime.now(UTC) + timedelta(days=300)).date(),
    )
    now = datetime.now(UTC)
    ballot = governance_services.ballot_create(
        kind="motion", title="Logged", closes_at=now + timedelta(hours=1), actor=staff
    )
    ballot = governance_services.ballot_open(ballot=ballot, actor=staff, at=now)
    governance_services.vote_cast(ballot=ballot, voter=voter, at=now, choice="for")
    governance_services.ballot_close(ballot=ballot, at=ballot.closes_at)
    return governance_services.ballot_release(ballot=ballot, actor=staff, at=ballot.closes_at)


@pytest.fixture
def staff(db: None) -> User:
    return UserFactory.create(is_staff=True)


def log_run(run: AllocationRun) -> PublicationEntry:
    """The call `allocation_run_execute` makes once its document is published:
    made again, it returns the entry already there."""
    return publication_append(
        kind=PublicationKind.ALLOCATION_RUN,
        reference=run.period,
        url=public_path("allocation:run_json", run.period),
        sha256=run.document_sha256,
        at=run.computed_at or AT,
    )


@pytest.mark.django_db
def test_entries_chain_each_to_the_one_before() -> None:
    first, second, third = (_append(str(n), at=AT + timedelta(minutes=n)) for n in range(3))
    assert [e.position for e in (first, second, third)] == [1, 2, 3]
    assert first.previous_hash == GENESIS_HASH
    assert (second.previous_hash, third.previous_hash) == (first.entry_hash, second.entry_hash)
    published = [selectors.publication_entry_json(e) for e in (first, second, third)]
    assert published[0]["published_at"] == "2026-04-01T09:30:15.123456Z"
    # verify.py, written apart, recomputes the same hashes from what is published.
    assert [verify.entry_hash(e) for e in published] == [
        e.entry_hash for e in (first, second, third)
    ]
    assert verify.chain_problems(published) == []
    assert selectors.publication_head() == third


@pytest.mark.django_db
def test_the_same_document_is_entered_once_and_never_with_another_hash() -> None:
    entry = _append("7")
    assert _append("7") == entry
    with pytest.raises(PublicationError, match="already published with another hash"):
        _append("7", sha256="cd" * 32)
    assert PublicationEntry.objects.count() == 1


@pytest.mark.django_db
def test_entries_cannot_be_changed_or_deleted() -> None:
    entry = _append("1")
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()
    if connection.vendor != "postgresql":
        return
    # On PostgreSQL a trigger refuses it too, whatever the code does.
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        PublicationEntry.objects.filter(pk=entry.pk).update(sha256="forged")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        PublicationEntry.objects.filter(pk=entry.pk).delete()
    assert PublicationEntry.objects.get().sha256 == "ab" * 32


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_form_one_chain() -> None:
    need(connection.vendor == "postgresql", "needs PostgreSQL for concurrent writers")
    barrier = threading.Barrier(6)
    errors: list[Exception] = []

    def append(number: int) -> None:
        try:
            barrier.wait()
            _append(f"r{number}")
        except Exception as exc:  # noqa: BLE001 -- reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    entries = [selectors.publication_entry_json(e) for e in PublicationEntry.objects.all()]
    assert [e["position"] for e in entries] == [1, 2, 3, 4, 5, 6]
    assert verify.chain_problems(entries) == []


@pytest.mark.django_db
def test_the_log_is_published_in_stable_pages(
    anonymous: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = anonymous.get("/transparency/log.json").json()
    assert (empty["head"], empty["count"], empty["pages"], empty["entries"]) == (None, 0, 1, [])
    monkeypatch.setattr(selectors, "LOG_PAGE_SIZE", 2)
    entries = [_append(str(n)) for n in range(5)]
    response = anonymous.get("/transparency/log.json")
    assert response["Content-Type"] == "application/json"
    assert response.content.decode() == json.dumps(response.json(), sort_keys=True, indent=2) + "\n"
    first = response.json()
    assert first["head"] == {"position": 5, "entry_hash": entries[-1].entry_hash}
    assert (first["count"], first["page"], first["pages"], first["previous"]) == (5, 1, 3, None)
    assert first["next"] == "http://testserver/transparency/log.json?page=2"
    last = anonymous.get("/en/transparency/log.json?page=3").json()
    assert [e["position"] for e in last["entries"]] == [5]
    assert last["next"] is None
    # "²" and "\u0661" (Arabic-Indic one) are digits to str.isdigit(), not page numbers.
    for page in ("0", "4", "two", "-1", "²", "\u0661", "1" * 5000, "9" * 20):
        assert anonymous.get(f"/transparency/log.json?page={page}").status_code == 404
    _, walked = verify.log_entries(LOG, client_fetch(anonymous))
    assert [e["position"] for e in walked] == [1, 2, 3, 4, 5]


def _tampered(anonymous: Client, change: Callable[[list[dict[str, Any]]], None]) -> Any:
    """A fetch serving the log with `change` applied to its entries."""
    genuine = client_fetch(anonymous)

    def fetch(url: str) -> bytes:
        if "/transparency/log.json" not in url:
            return genuine(url)
        page = json.loads(genuine(url))
        change(page["entries"])
        return json.dumps(page).encode()

    return fetch


def _swap(entries: list[dict[str, Any]]) -> None:
    entries[0], entries[1] = entries[1], entries[0]


def _alter_and_rehash(entries: list[dict[str, Any]]) -> None:
    entries[1]["sha256"] = "0" * 64
    entries[1]["entry_hash"] = verify.entry_hash(entries[1])


@pytest.mark.django_db
def test_verify_log_checks_the_chain_and_every_document(anonymous: Client, staff: User) -> None:
    ballot = release_a_ballot(staff)
    run = computed_march(5)
    log_run(run)
    fetch = client_fetch(anonymous)
    csv = "/transparency/runs/2026-03.csv"  # a third document, entered after them
    publication_append(
        kind=PublicationKind.ALLOCATION_RUN,
        reference="2026-03 CSV",
        url=csv,
        sha256=hashlib.sha256(fetch(f"http://testserver{csv}")).hexdigest(),
        at=AT,
    )
    ok, lines = verify.verify_log(LOG, fetch=fetch)
    assert ok, lines
    entries = list(PublicationEntry.objects.all())
    assert [(e.kind, e.reference, e.url) for e in entries[:2]] == [
        ("governance.ballot", str(ballot.pk), f"/governance/register/{ballot.pk}/bundle.json"),
        ("allocation.run", "2026-03", "/transparency/runs/2026-03.json"),
    ]
    assert entries[1].sha256 == run.document_sha256
    assert lines[:2] == ["3 entries", f"head 3:{entries[2].entry_hash}"]
    assert lines[-1] == "the log is intact"
    head = f"2:{entries[1].entry_hash}"
    assert verify.verify_log(LOG, head=head, fetch=fetch)[0]

    cases: dict[str, Callable[[list[dict[str, Any]]], None]] = {
        "entry 2: its hash is not the hash of its content": lambda e: e[1].update(sha256="0" * 64),
        "entry 3: it does not follow the entry before it": _alter_and_rehash,
        "entry 2: its position is 3, not 2": lambda e: e.remove(e[1]),
        "entry 1: its position is 2, not 1": _swap,
    }
    for expected, change in cases.items():
        ok, lines = verify.verify_log(LOG, fetch=_tampered(anonymous, change), documents=False)
        assert not ok, expected
        assert f"BROKEN: {expected}" in lines, lines
    ok, lines = verify.verify_log(LOG, head=head, fetch=_tampered(anonymous, _alter_and_rehash))
    assert f"BROKEN: the head seen before ({head}) is no longer in the log" in lines
    for wrong in (f"²:{entries[1].entry_hash}", f"{'9' * 5000}:{entries[1].entry_hash}"):
        ok, lines = verify.verify_log(LOG, head=wrong, fetch=fetch, documents=False)
        assert not ok
        assert f"BROKEN: the head seen before ({wrong}) is no longer in the log" in lines

    # The register rewritten behind the log's back: the document no longer hashes.
    Ballot.objects.filter(pk=ballot.pk).update(bundle={**ballot.bundle, "result": {}})
    ok, lines = verify.verify_log(LOG, fetch=fetch)
    assert not ok
    assert (
        f"BROKEN: entry 1: http://testserver/governance/register/{ballot.pk}/bundle.json "
        "is not the document it published"
    ) in lines


@pytest.mark.django_db(transaction=True)
def test_verify_log_command_against_the_live_site(live_server: Any) -> None:
    ballot = release_a_ballot(UserFactory.create(is_staff=True))
    url = f"{live_server.url}/transparency/log.json"
    out = StringIO()
    call_command("verify_log", url, stdout=out)
    assert out.getvalue().splitlines()[-2:] == [
        "1 documents fetched and hashed",
        "the log is intact",
    ]
    Ballot.objects.filter(pk=ballot.pk).update(bundle={**ballot.bundle, "votes": []})
    with pytest.raises(CommandError, match="the log does not hold"):
        call_command("verify_log", url, stdout=StringIO())
    with pytest.raises(CommandError, match="cannot be read"):
        call_command(
            "verify_log", f"{live_server.url}/transparency/nothing.json", stdout=StringIO()
        )


@pytest.mark.django_db
def test_backfill_enters_what_was_published_before_in_order() -> None:
    run = computed_march(2)  # computed on 2026-04-10
    earlier = BallotFactory.create(
        status=BallotStatus.RELEASED,
        released_at=datetime(2026, 3, 15, tzinfo=UTC),
        bundle_hash="ef" * 32,
    )
    later = BallotFactory.create(
        status=BallotStatus.RELEASED,
        released_at=datetime(2026, 5, 2, tzinfo=UTC),
        bundle_hash="12" * 32,
    )
    before = set(PublicationEntry.objects.values_list("reference", flat=True))
    out = StringIO()
    call_command("publication_log_backfill", stdout=out)
    due = [str(earlier.pk), run.period, str(later.pk)]
    added = [r for r in due if r not in before]
    assert out.getvalue() == f"{len(added)} entries added to the publication log\n"
    assert (
        list(
            PublicationEntry.objects.filter(position__gt=len(before)).values_list(
                "reference", flat=True
            )
        )
        == added
    )
    assert PublicationEntry.objects.get(reference=str(later.pk)).sha256 == "12" * 32
    call_command("publication_log_backfill", stdout=out)
    assert out.getvalue().endswith("0 entries added to the publication log\n")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/governance/register/", "/transparency/"])
def test_the_head_is_shown_on_the_register_and_transparency_pages(
    anonymous: Client, staff: User, path: str
) -> None:
    page = anonymous.get(f"/en{path}").text
    assert "Nothing has been published yet." in page
    release_a_ballot(staff)
    head = PublicationEntry.objects.get()
    page = anonymous.get(f"/en{path}").text
    assert f'data-log-head="1:{head.entry_hash}"' in page
    assert 'href="/en/transparency/log.json"' in page
    assert f'data-log-head="1:{head.entry_hash}"' in anonymous.get(path).text
