from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator

from contributors.models import User
from funds.enums import PaymentEventSource
from funds.models import BankStatement, Receipt
from funds.services import payment_request_issue, payment_succeed
from funds.tasks import import_statement
from tests.factories.contributors import EarmarkFactory, PledgeFactory
from tests.factories.funds import PaymentFactory
from tests.funds.statements import for_fund, statement_tasks
from tests.paths import DATA

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
SMALL = DATA / "sepa" / "camt053-real-anonymised-small__Subite-eu__camt-to-coda.xml"


def _receipt_for(user: User) -> Receipt:
    pledge = PledgeFactory.create(contributor=user.contributors.get())
    EarmarkFactory.create(pledge=pledge, share_bp=2500)
    return payment_succeed(
        payment=PaymentFactory.create(pledge=pledge),
        gross_cents=5000,
        processor_fee_cents=75,
        received_at=pledge.created_at,
        source=PaymentEventSource.SYSTEM,
    )


def test_own_pledges_and_receipts_only(
    contributor: Client, contributor_user: User, outsider: Client
) -> None:
    receipt = _receipt_for(contributor_user)
    PledgeFactory.create()  # someone else's
    pledges = contributor.get("/api/v1/contributors/pledges/").json()
    assert pledges["count"] == 1
    assert pledges["results"][0]["earmarks"][0]["share_bp"] == 2500
    receipts = contributor.get("/api/v1/funds/receipts/").json()
    assert [(r["id"], r["gross_cents"], r["net_cents"]) for r in receipts["results"]] == [
        (receipt.pk, 5000, 4925)
    ]
    assert outsider.get("/api/v1/funds/receipts/").json()["count"] == 0
    assert outsider.get(f"/api/v1/contributors/pledges/{receipt.pledge_id}/").status_code == 404
    assert Client().get("/api/v1/funds/receipts/").status_code == 403


def test_own_payment_requests(
    contributor: Client, contributor_user: User, outsider: Client
) -> None:
    request = payment_request_issue(
        pledge=PledgeFactory.create(
            contributor=contributor_user.contributors.get(), payment_method="bank_transfer"
        )
    )
    body = contributor.get("/api/v1/funds/payment-requests/").json()
    assert [r["reference"] for r in body["results"]] == [request.reference]
    assert outsider.get("/api/v1/funds/payment-requests/").json()["count"] == 0


def test_reconciliation_api_is_for_administrators(
    administrator: Client, contributor: Client
) -> None:
    def upload() -> dict[str, SimpleUploadedFile]:
        return {
            "file": SimpleUploadedFile("s.xml", for_fund(SMALL.read_bytes()), "application/xml")
        }

    assert contributor.post("/api/v1/funds/statements/", upload()).status_code == 403
    # Recorded in the request, booked by the task after the commit (as the page).
    with statement_tasks(run=False) as queued, TestCase.captureOnCommitCallbacks(execute=True):
        response = administrator.post("/api/v1/funds/statements/", upload())
    assert response.status_code == 201
    [recorded] = response.json()
    assert (recorded["status"], recorded["lines_total"], recorded["lines_done"]) == (
        "received",
        3,
        0,
    )
    assert [task["statement_id"] for task in queued] == [recorded["id"]]
    statement_id = recorded["id"]
    import_statement.apply(kwargs=queued[0], throw=True)
    done = administrator.get("/api/v1/funds/statements/").json()[0]
    assert (done["status"], done["lines_done"]) == ("done", 3)
    again = administrator.post("/api/v1/funds/statements/", upload())
    assert again.status_code == 200
    assert BankStatement.objects.count() == 1
    lines = administrator.get(f"/api/v1/funds/statements/{statement_id}/lines/").json()
    assert sorted(line["status"] for line in lines["results"]) == ["debit", "debit", "unmatched"]
    unmatched = next(line for line in lines["results"] if line["status"] == "unmatched")
    ignored = administrator.post(
        f"/api/v1/funds/lines/{unmatched['id']}/decide/", {"decision": "ignore"}
    )
    assert ignored.json()["status"] == "ignored"
    bad = administrator.post(
        "/api/v1/funds/statements/", {"file": SimpleUploadedFile("s.xml", b"junk")}
    )
    assert bad.status_code == 400


@pytest.mark.parametrize("rows", [1, 3])
def test_receipt_list_queries_do_not_grow(
    contributor: Client, contributor_user: User, rows: int, django_assert_max_num_queries: object
) -> None:
    for _ in range(rows):
        _receipt_for(contributor_user)
    with django_assert_max_num_queries(6):  # type: ignore[operator]
        assert contributor.get("/api/v1/funds/receipts/").json()["count"] == rows
    with django_assert_max_num_queries(7):  # type: ignore[operator]
        assert contributor.get("/api/v1/contributors/pledges/").json()["count"] == rows


def test_schema_documents_the_endpoints() -> None:
    generator = SchemaGenerator(
        patterns=[
            path("api/v1/contributors/", include("contributors.api.urls")),
            path("api/v1/funds/", include("funds.api.urls")),
        ]
    )
    schema = generator.get_schema(request=None, public=True)
    assert {
        "/api/v1/contributors/pledges/",
        "/api/v1/contributors/pledges/{id}/",
        "/api/v1/funds/receipts/",
        "/api/v1/funds/payment-requests/",
        "/api/v1/funds/statements/",
        "/api/v1/funds/statements/{id}/lines/",
        "/api/v1/funds/lines/{id}/decide/",
    } == set(schema["paths"])


def test_statement_list_upload_limit_and_refused_decision(
    administrator: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload = SimpleUploadedFile("s.xml", for_fund(SMALL.read_bytes()), "application/xml")
    with statement_tasks(), TestCase.captureOnCommitCallbacks(execute=True):
        statement_id = administrator.post("/api/v1/funds/statements/", {"file": upload}).json()[0][
            "id"
        ]
    listed = administrator.get("/api/v1/funds/statements/").json()
    assert [(s["id"], s["filename"], s["line_count"]) for s in listed] == [
        (statement_id, "s.xml", 3)
    ]

    monkeypatch.setattr(settings, "STATEMENT_MAX_BYTES", 10)
    large = administrator.post(
        "/api/v1/funds/statements/",
        {"file": SimpleUploadedFile("l.xml", b"<x>" * 4)},
        headers={"Accept-Language": "en"},
    )
    assert (large.status_code, large.json()) == (
        400,
        {"file": ["The file is too large for a bank statement (at most 10\xa0bytes)."]},
    )

    lines = administrator.get(f"/api/v1/funds/statements/{statement_id}/lines/").json()
    debit = next(line for line in lines["results"] if line["status"] == "debit")
    refused = administrator.post(
        f"/api/v1/funds/lines/{debit['id']}/decide/",
        {"decision": "book"},
        headers={"Accept-Language": "en"},
    )
    assert (refused.status_code, refused.json()) == (
        400,
        {"detail": "Only incoming transfers can be booked."},
    )
    assert BankStatement.objects.count() == 1
