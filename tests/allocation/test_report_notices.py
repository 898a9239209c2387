"""The administrators who approve are told, by mail in their language, when a
month's disbursement report awaits them, and when it awaits a second approval."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail

from allocation.selectors import approvers
from allocation.services import is_approver
from tests.allocation.disbursement import Admin, approve, computed_month, make_admin
from tests.factories import UserFactory
from tests.mail import mail_tasks

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _approvers() -> tuple[Admin, Admin]:
    ada = make_admin("Ada Admin", "ada@example.org")
    bob = make_admin("Bob Admin", "bob@example.org")
    ada.user.language, bob.user.language = "fr", "en"
    ada.user.save(update_fields=["language"])
    bob.user.save(update_fields=["language"])
    return ada, bob


def test_a_computed_month_tells_each_approver_its_report_awaits_them(
    django_capture_on_commit_callbacks: Any,
) -> None:
    _approvers()
    UserFactory.create(email="no-2fa@example.org", is_staff=True)  # cannot approve
    UserFactory.create(email="contributor@example.org")
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        month = computed_month()
    # The month's payments thank their contributors too; the report goes to approvers only.
    by_address = {m.to[0]: m for m in mail.outbox if re.search("rapport|report", str(m.subject))}
    assert sorted(by_address) == ["ada@example.org", "bob@example.org"]
    # 240 + 20 + 160 + 120 euros received in March (tests.allocation.disbursement).
    french, english = by_address["ada@example.org"], by_address["bob@example.org"]
    assert french.subject == (
        "[The Librery] Le rapport de versement de mars 2026 attend son approbation"
    )
    assert french.body.startswith(
        "La répartition de mars 2026 est calculée : 540,00\u00a0€ nets de 4 encaissements.\n"
        "Son rapport de versement doit être approuvé par deux administrateurs différents"
    )
    assert english.subject == "[The Librery] The disbursement report of March 2026 awaits approval"
    assert f"\nhttp://127.0.0.1:8000/en/staff/disbursement/{month.run.period}/\n" in english.body


def test_after_the_first_approval_the_others_are_asked_for_the_second(
    django_capture_on_commit_callbacks: Any,
) -> None:
    ada, _bob = _approvers()
    month = computed_month()
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        approve(ada, month.run)
    (message,) = mail.outbox  # to Bob only: Ada approved
    assert message.to == ["bob@example.org"]
    assert message.subject == (
        "[The Librery] A second approval is needed for the disbursement report of March 2026"
    )
    assert message.body.startswith(
        "Ada Admin approved the disbursement report of March 2026. "
        "Another administrator must approve it before its payouts are made:\n"
    )


def test_who_may_approve_is_one_rule_for_approving_and_for_the_mail() -> None:
    ada, _bob = _approvers()
    gone = make_admin("Gone Admin", "gone@example.org")
    gone.user.is_active = False
    gone.user.save(update_fields=["is_active"])
    demoted = make_admin("Former Admin", "former@example.org")
    demoted.user.is_staff = False
    demoted.user.save(update_fields=["is_staff"])
    no_totp = UserFactory.create(email="no-2fa@example.org", is_staff=True)

    assert sorted(approvers().values_list("email", flat=True)) == [
        "ada@example.org",
        "bob@example.org",
    ]
    assert is_approver(ada.user)
    assert not any(is_approver(user) for user in (gone.user, demoted.user, no_totp))
    assert not is_approver(AnonymousUser())
