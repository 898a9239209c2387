"""The public pages and open data of a computed run: the JSON served hashes to
the published sha256, the CSV and the page say the same cents, and runs still
running or months never run are not found."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from allocation.documents import FORMAT, contributor_key
from allocation.models import AllocationRun
from allocation.services import allocation_run_claim, allocation_run_execute
from funds.enums import PaymentEventSource
from funds.models import Receipt
from funds.services import payment_succeed
from projects.enums import ProjectStatus
from projects.models import Project
from tests.factories import ProjectFactory
from tests.factories.contributors import EarmarkFactory, PledgeFactory
from tests.factories.funds import PaymentFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
AFTER_MARCH = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def computed() -> tuple[AllocationRun, Project, Receipt]:
    project = ProjectFactory.create(name="Alpha Commons", status=ProjectStatus.ADMITTED)
    pledge = PledgeFactory.create(amount_cents=2_000)
    EarmarkFactory.create(pledge=pledge, project=project, share_bp=2500)
    receipt = payment_succeed(
        payment=PaymentFactory.create(pledge=pledge),
        gross_cents=2_000,
        processor_fee_cents=0,
        received_at=datetime(2026, 3, 3, 8, 0, tzinfo=UTC),
        source=PaymentEventSource.STRIPE_WEBHOOK,
    )
    run = allocation_run_execute(
        run=allocation_run_claim(period="2026-03", at=AFTER_MARCH), at=AFTER_MARCH
    )
    return run, project, receipt


def test_the_json_served_is_the_published_document(
    anonymous: Client, computed: tuple[AllocationRun, Project, Receipt]
) -> None:
    run, project, receipt = computed
    response = anonymous.get("/transparency/runs/2026-03.json")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(body).hexdigest() == run.document_sha256
    document = json.loads(body)
    # Canonical: sorted keys, no spaces.
    assert body.decode() == json.dumps(document, sort_keys=True, separators=(",", ":"))
    assert document["format"] == FORMAT
    assert document["receipts"] == [
        {
            "id": receipt.pk,
            "net_cents": 2_000,
            "received_at": "2026-03-03T08:00:00+00:00",
            "contributor": contributor_key(receipt.contributor_id),
            "reverses": None,
            "earmarks": {str(project.pk): 2500},
        }
    ]
    # No remainder at all: the ranks follow the tie order, fee, pool, projects.
    assert document["outputs"]["receipts"] == [
        {"destination": "fee", "cents": 0, "remainder_rank": 1, "units": "0"},
        {"destination": "pool", "cents": 1_500, "remainder_rank": 2, "units": str(15 * 10**10)},
        {
            "destination": f"project:{project.pk}",
            "cents": 500,
            "remainder_rank": 3,
            "units": str(5 * 10**10),
        },
    ]
    assert document["outputs"]["pool"] == [
        {"destination": "pool", "cents": 1_500, "remainder_rank": 1}
    ]
    # No contributor's name or id, whatever they chose.
    assert receipt.contributor.name not in body.decode()


def test_the_csv_the_sha256_and_the_page(
    anonymous: Client, computed: tuple[AllocationRun, Project, Receipt]
) -> None:
    run, project, _receipt = computed
    table = list(
        csv.reader(
            io.StringIO(
                b"".join(anonymous.get("/transparency/runs/2026-03.csv").streaming_content).decode()  # type: ignore[attr-defined]
            )
        )
    )
    assert table[0] == [
        "stage",
        "destination",
        "project_id",
        "project",
        "exact",
        "cents",
        "remainder_rank",
    ]
    assert [(row[0], row[1]) for row in table[1:]] == [
        ("receipts", "fee"),
        ("receipts", "pool"),
        ("receipts", f"project:{project.pk}"),
        ("pool", "pool"),
    ]
    assert table[3][2:6] == [str(project.pk), "Alpha Commons", str(5 * 10**10), "500"]
    sha = anonymous.get("/transparency/runs/2026-03.sha256")
    assert sha.content.decode() == f"{run.document_sha256}  allocation-2026-03.json\n"
    page = anonymous.get("/en/transparency/runs/2026-03/")
    assert page.status_code == 200
    assert run.document_sha256 in page.text
    assert [(p.name, p.earmarked_cents, p.pool_cents) for p in page.context["projects"]] == [
        ("Alpha Commons", 500, 0)
    ]
    assert "€15.00" in page.text  # to the pool, in English
    assert "15,00" in anonymous.get("/transparency/runs/2026-03/").text
    listing = anonymous.get("/en/transparency/")
    assert 'href="/en/transparency/runs/2026-03/"' in listing.text


@pytest.mark.parametrize(
    "path",
    [
        "/transparency/runs/2026-04/",
        "/transparency/runs/2026-04.json",
        "/transparency/runs/2026-13/",
        "/transparency/runs/2026-04.csv",
        "/transparency/runs/2026-04.sha256",
    ],
)
def test_months_not_computed_are_not_found(anonymous: Client, path: str) -> None:
    allocation_run_claim(period="2026-02", at=AFTER_MARCH)  # running: not published
    assert anonymous.get(path).status_code == 404
    assert anonymous.get(path.replace("2026-04", "2026-02")).status_code == 404


def test_the_api_lists_computed_runs(
    anonymous: Client,
    computed: tuple[AllocationRun, Project, Receipt],
    django_assert_num_queries: Any,
) -> None:
    run, _project, _receipt = computed
    allocation_run_claim(period="2026-02", at=AFTER_MARCH)  # running: not listed
    with django_assert_num_queries(2) as queries:
        response = anonymous.get("/api/v1/allocation/runs/")
    assert response.status_code == 200
    # The columns that grow with the projects stay in the database.
    listed = queries.captured_queries[-1]["sql"]
    assert "period_start_at" in listed
    assert "round_fractions" not in listed
    assert "eligible_project_ids" not in listed
    [item] = response.json()["results"]
    assert item["period"] == "2026-03"
    assert item["document_sha256"] == run.document_sha256
    assert item["document_url"] == "http://testserver/transparency/runs/2026-03.json"
    assert (item["net_cents"], item["earmarked_cents"], item["pool_in_cents"]) == (2000, 500, 1500)
