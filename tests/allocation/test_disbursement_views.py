"""The administrators' disbursement pages: the report (totals first, flags,
lines, approvals, content hash), its CSV and PDF, the approval form, the batch
with its SEPA file and payouts recorded by hand; the maintainers' pages."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.test import Client

from allocation import tasks
from allocation.enums import PayoutStatus
from allocation.models import Approval, Payout, PayoutBatch
from allocation.services import disbursement_report, payout_batch_create
from librery.models import LogEntry
from projects.models import Project
from projects.services import project_suspend
from tests.allocation.disbursement import Admin, Month, approve
from tests.factories import TEST_PASSWORD, MaintainershipFactory
from tests.funds.test_money import _pdf_text
from tests.tasks import queued_tasks

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _url(month: Month, rest: str = "") -> str:
    return f"/en/staff/disbursement/{month.run.period}/{rest}"


def test_the_report_page_shows_totals_flags_lines_and_its_hash(month: Month, ada: Admin) -> None:
    index = ada.client().get("/en/staff/disbursement/")
    assert f'href="{_url(month)}"' in index.text
    assert "0 of 2" in index.text
    page = ada.client().get(_url(month))
    assert page.status_code == 200
    text = page.text
    report = disbursement_report(run=month.run)
    assert f'<code id="report-sha256" class="hash">{report.sha256}</code>' in text
    assert text.index('id="report-totals"') < text.index('id="report-lines"')
    assert "Payouts proposed (1 project)" in text
    assert "€120.00" in text  # Alpha's payout
    for flag in (
        "below the payout threshold",
        "payout account not verified",
        "no payout account",
    ):
        assert flag in text
    # Alpha's line has no flag: it is to be paid once approved, not paid yet.
    assert '<span class="flag flag--ok">to be paid</span>' in text
    assert "paid out" not in text
    assert "These totals equal the run" in text
    assert 'id="approve-form"' in text
    assert f'name="sha256" value="{report.sha256}"' in text


def test_a_maintainer_administrator_sees_why_they_cannot_approve(month: Month, ada: Admin) -> None:
    MaintainershipFactory.create(project=month.missing, user=ada.user)
    page = ada.client().get(_url(month))
    assert "You maintain Delta Missing, in this report" in page.text
    assert 'id="approve-form"' not in page.text
    assert "maintained by an administrator" in page.text


def test_approving_through_the_page_then_the_second_makes_the_batch(
    month: Month, ada: Admin, bob: Admin, django_capture_on_commit_callbacks: Any
) -> None:
    sha = disbursement_report(run=month.run).sha256
    response = ada.client().post(
        _url(month, "approve/"), {"password": TEST_PASSWORD, "code": ada.code(), "sha256": sha}
    )
    assert response.status_code == 302
    page = ada.client().get(_url(month))
    assert "You approved this content." in page.text
    assert "1 of the 2 approvals needed" in page.text
    with (
        queued_tasks(tasks.create_payout_batch),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = bob.client().post(
            _url(month, "approve/"),
            {"password": TEST_PASSWORD, "code": bob.code(), "sha256": sha},
        )
    assert response.status_code == 302
    batch = PayoutBatch.objects.get()  # made by the task enqueued after the commit
    page = bob.client().get(_url(month))
    assert 'id="sepa-file"' in page.text
    assert "Approved by two administrators" in page.text
    sepa = bob.client().get(_url(month, "pain001.xml"))
    assert sepa.status_code == 200
    assert sepa["Content-Disposition"] == 'attachment; filename="payouts-2026-03-pain.001.xml"'
    assert f"<MsgId>LIB-BATCH-{batch.pk}</MsgId>" in sepa.content.decode()
    exported = LogEntry.objects.get(action="allocation.payout_batch.exported")
    assert (exported.actor, exported.data["via"]) == (bob.user, "page")
    assert exported.data["sha256"] == hashlib.sha256(sepa.content).hexdigest()


def test_a_wrong_code_on_the_page_is_a_clear_error(month: Month, ada: Admin) -> None:
    sha = disbursement_report(run=month.run).sha256
    response = ada.client().post(
        _url(month, "approve/"), {"password": TEST_PASSWORD, "code": "12", "sha256": sha}
    )
    assert response.status_code == 400
    assert "Your password or your two-factor code is not correct" in response.text
    assert not Approval.objects.exists()
    bad = ada.client().post(_url(month, "approve/"), {"password": "", "code": "", "sha256": "x"})
    assert bad.status_code == 400
    assert "This field is required." in bad.text


def test_approvals_are_rate_limited(month: Month, ada: Admin, settings: Any) -> None:
    settings.LIBRERY_RATE_LIMITS = {**settings.LIBRERY_RATE_LIMITS, "approval": "1/h"}
    client = ada.client()
    data = {"password": "wrong", "code": "000000", "sha256": "0" * 64}
    assert client.post(_url(month, "approve/"), data).status_code == 400
    assert client.post(_url(month, "approve/"), data).status_code == 429


def test_a_voided_approval_shows_why(month: Month, ada: Admin, bob: Admin) -> None:
    approve(ada, month.run)
    project_suspend(project=month.paid, actor=bob.user, reference="test")
    page = bob.client().get(_url(month))
    assert "voided" in page.text
    assert "Alpha Paid: project status Admitted → Suspended" in page.text
    assert "Alpha Paid: payout proposed €120.00 → €0.00" in page.text
    assert "0 of the 2 approvals needed" in page.text


def test_the_csv_and_the_pdfs_carry_the_hash(month: Month, ada: Admin) -> None:
    sha = disbursement_report(run=month.run).sha256
    csv = ada.client().get(_url(month, "report.csv"))
    lines = csv.content.decode().splitlines()
    assert lines[0] == f"period,2026-03,content_sha256,{sha}"
    assert lines[1].startswith("project_id,project,project_status,earmarked_cents")
    assert f"{month.paid.pk},Alpha Paid,admitted,12000,0,0,12000,12000,verified," in lines
    assert lines[-1] == ",total,,27000,0,0,27000,12000,,"
    for language, title in (
        ("en", b"Disbursement report, March 2026"),
        ("fr", b"Rapport de versement, mars 2026"),
    ):
        pdf = ada.client().get(_url(month, f"report-{language}.pdf"))
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")
        assert sha.encode() in pdf.content  # the document's subject
        assert title in pdf.content
    assert ada.client().get(_url(month, "report-de.pdf")).status_code == 404


def test_payouts_recorded_by_hand_on_the_page(month: Month, ada: Admin, bob: Admin) -> None:
    approve(ada, month.run)
    approve(bob, month.run)
    payout_batch_create(run=month.run, via="test")
    payout = Payout.objects.get()
    client = ada.client()
    # The account number and the BIC each stay whole, but may go on two lines
    # (kept on one, they widened the table past a 1 024-pixel screen).
    assert (
        f'<span class="nowrap">{payout.iban}</span> · <span class="nowrap">{payout.bic}</span>'
        in client.get(_url(month)).text
    )
    client.post(_url(month, "sent/"))
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.SENT
    client.post(f"/en/staff/disbursement/payouts/{payout.pk}/paid/")
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    response = client.post(
        f"/en/staff/disbursement/payouts/{payout.pk}/failed/", {"reason": "Account closed"}
    )
    payout.refresh_from_db()
    assert (payout.status, payout.failure_reason) == (PayoutStatus.FAILED, "Account closed")
    again = client.post(f"/en/staff/disbursement/payouts/{payout.pk}/paid/", follow=True)
    assert "cannot go from" in again.text
    assert response.status_code == 302
    assert client.post(f"/en/staff/disbursement/payouts/{payout.pk}/nope/").status_code == 404
    # Nothing left to transfer: the file is refused with a message.
    refused = client.get(_url(month, "pain001.xml"), follow=True)
    assert "no payout left to transfer" in refused.text


def test_maintainers_see_their_payouts_and_the_balance_waiting(
    month: Month, ada: Admin, bob: Admin
) -> None:
    maintainer = MaintainershipFactory.create(project=month.paid).user
    other = MaintainershipFactory.create(project=month.small, user=maintainer)
    approve(ada, month.run)
    approve(bob, month.run)
    payout = payout_batch_create(run=month.run, via="test").payouts.get()
    client = Client()
    client.force_login(maintainer, backend="django.contrib.auth.backends.ModelBackend")
    mine = client.get("/en/projects/mine/")
    assert payout.end_to_end_id in mine.text
    assert "Payout history" in mine.text
    # The balance each project waits with for the next batch: Beta's, below the threshold.
    assert '<td class="align-right">€10.00</td>' in mine.text
    assert '<td class="align-right">€0.00</td>' in mine.text  # Alpha's, paid out
    page = client.get(f"/en/projects/{month.paid.slug}/")
    assert payout.end_to_end_id in page.text
    assert "Held by the fund for the next payout: €0.00" in page.text
    small = client.get(f"/en/projects/{other.project.slug}/")
    assert "Held by the fund for the next payout: €10.00" in small.text
    assert "No payout yet." in small.text


def test_everyone_else_gets_a_404(month: Month, contributor: Client) -> None:
    assert contributor.get(_url(month)).status_code == 404


def test_the_pdf_pages_show_the_hash_wrapped_names_and_amounts_in_each_language(
    month: Month, ada: Admin
) -> None:
    long_name = "Delta Missing, a project whose name is far too long for its column in the table"
    Project.objects.filter(pk=month.missing.pk).update(name=long_name)
    sha = disbursement_report(run=month.run).sha256
    for language, title, hash_label, amount in (
        ("en", "Disbursement report, March 2026", "Content SHA-256", "€120.00"),
        # Helvetica has no narrow no-break space: the shared formatting's, drawn as a space.
        ("fr", "Rapport de versement, mars 2026", "SHA-256 du contenu", "120,00 €"),
    ):
        strings = _pdf_text(ada.client().get(_url(month, f"report-{language}.pdf")).content)
        assert title in strings
        # The hash drawn on the page (footer and heading), not only in the metadata.
        hashes = [text for text in strings if text.startswith(hash_label) and sha in text]
        assert len(hashes) >= 2
        assert amount in strings  # Alpha's payout and the total proposed
        # The long name wraps inside its table cell: on several lines, none the whole name.
        assert long_name not in strings
        assert "Delta Missing, a project whose name is" in " ".join(strings)
