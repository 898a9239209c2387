from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from contributors.models import User
from librery.models import LogEntry
from projects import selectors, services
from projects.enums import MaintainerRole, PayoutAccountStatus
from projects.models import Maintainership, PayoutAccount, mask_iban
from tests.factories import TEST_PASSWORD, MaintainershipFactory
from tests.factories.projects import PayoutAccountFactory
from tests.mail import mail_tasks

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
IBAN = "FR7630006000011234567890189"
MASKED = "FR76 •••• •••• •••• •••• •••• 189"
GOOD = {
    "holder_name": "Association Bob",
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "AGRIFRPP",
    "address": "1 rue de la Paix, 75002 Paris",
    "password": TEST_PASSWORD,
}


def _url(user: User) -> str:
    return f"/en/projects/{Maintainership.objects.get(user=user).project.slug}/payout-account/"


def test_mask_iban() -> None:
    assert mask_iban(IBAN) == MASKED
    assert mask_iban("DE89 3704 0044 0532 0130 00") == "DE89 •••• •••• •••• •••• 000"


def test_maintainer_sets_the_account_and_every_maintainer_is_told(
    maintainer: Client, maintainer_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    project = Maintainership.objects.get(user=maintainer_user).project
    other = MaintainershipFactory.create(project=project, role=MaintainerRole.MAINTAINER)
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        response = maintainer.post(_url(maintainer_user), GOOD)
    assert response.status_code == 302
    account = PayoutAccount.objects.get(project=project)
    assert (account.iban, account.bic, account.status) == (
        IBAN,
        "AGRIFRPP",
        PayoutAccountStatus.UNVERIFIED,
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([maintainer_user.email, other.user.email])
    assert MASKED in mail.outbox[0].body
    assert IBAN not in mail.outbox[0].body
    entry = LogEntry.objects.get(action="projects.payout_account.changed")
    assert entry.actor_id == maintainer_user.pk
    assert entry.data["iban"] == MASKED
    assert IBAN not in str(entry.data)


def test_change_unverifies_and_needs_the_password(
    maintainer: Client,
    maintainer_user: User,
    administrator_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    project = Maintainership.objects.get(user=maintainer_user).project
    account = PayoutAccountFactory.create(project=project)
    services.payout_account_verify(account=account, actor=administrator_user)
    wrong = maintainer.post(
        _url(maintainer_user),
        {**GOOD, "iban": "DE89370400440532013000", "bic": "COBADEFF", "password": "nope"},
    )
    assert wrong.status_code == 400
    assert "This password is not correct." in wrong.text
    account.refresh_from_db()
    assert account.iban == IBAN
    assert account.status == PayoutAccountStatus.VERIFIED
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        done = maintainer.post(
            _url(maintainer_user), {**GOOD, "iban": "DE89370400440532013000", "bic": "COBADEFF"}
        )
    assert done.status_code == 302
    account.refresh_from_db()
    assert account.iban == "DE89370400440532013000"
    assert account.status == PayoutAccountStatus.UNVERIFIED
    assert account.verified_at is None
    assert len(mail.outbox) == 1
    entry = LogEntry.objects.get(action="projects.payout_account.changed")
    assert entry.data["previous_iban"] == MASKED
    assert entry.data["fields"] == ["bic", "holder_name", "iban"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"iban": "FR7630006000011234567890188"}, "the check digits do not match"),
        ({"bic": "COBADEFF"}, "This BIC is not the one of the IBAN&#x27;s bank (AGRIFRPPXXX)."),
        ({"iban": "XX00 1234"}, "This IBAN is not valid"),
    ],
)
def test_bad_bank_details_change_nothing(
    maintainer: Client, maintainer_user: User, changes: dict[str, str], message: str
) -> None:
    response = maintainer.post(_url(maintainer_user), {**GOOD, **changes})
    assert response.status_code == 400
    assert message in response.text
    assert not PayoutAccount.objects.exists()
    assert not LogEntry.objects.filter(action__startswith="projects.payout_account").exists()


def test_french_messages(maintainer: Client, maintainer_user: User) -> None:
    url = _url(maintainer_user).removeprefix("/en")
    response = maintainer.post(url, {**GOOD, "password": "nope"})
    assert response.status_code == 400
    assert 'lang="fr"' in response.text


def test_resubmitting_the_same_account_changes_nothing(
    maintainer: Client, maintainer_user: User, administrator_user: User
) -> None:
    project = Maintainership.objects.get(user=maintainer_user).project
    account = PayoutAccountFactory.create(
        project=project, holder_name=GOOD["holder_name"], address=GOOD["address"]
    )
    services.payout_account_verify(account=account, actor=administrator_user)
    assert maintainer.post(_url(maintainer_user), GOOD).status_code == 302
    account.refresh_from_db()
    assert account.status == PayoutAccountStatus.VERIFIED
    assert not mail.outbox


def test_nobody_else_sees_the_account(
    outsider: Client, anonymous: Client, contributor: Client, maintainer_user: User
) -> None:
    project = Maintainership.objects.get(user=maintainer_user).project
    PayoutAccountFactory.create(project=project)
    url = _url(maintainer_user)
    assert outsider.get(url).status_code == 404
    assert contributor.post(url, GOOD).status_code == 404
    assert anonymous.get(url).status_code == 302
    assert IBAN[-6:] not in anonymous.get(f"/en/projects/{project.slug}/").text
    assert PayoutAccount.objects.get().holder_name == "Association Exemple"


def test_only_administrators_verify(maintainer_user: User, administrator_user: User) -> None:
    account = PayoutAccountFactory.create()
    with pytest.raises(services.PayoutAccountError):
        services.payout_account_verify(account=account, actor=maintainer_user)
    verified = services.payout_account_verify(account=account, actor=administrator_user)
    assert verified.status == PayoutAccountStatus.VERIFIED
    assert verified.verified_by == administrator_user
    assert services.payout_account_verify(account=verified, actor=administrator_user) == verified
    assert LogEntry.objects.filter(action="projects.payout_account.verified").count() == 1


def test_my_projects_shows_masked_account(maintainer: Client, maintainer_user: User) -> None:
    project = Maintainership.objects.get(user=maintainer_user).project
    PayoutAccountFactory.create(project=project)
    response = maintainer.get("/en/projects/mine/")
    assert response.status_code == 200
    assert MASKED in response.text
    assert IBAN not in response.text
    assert "Awaiting verification" in response.text


@pytest.mark.parametrize("count", [1, 3, 10])
def test_my_projects_queries_do_not_grow(
    maintainer: Client, maintainer_user: User, django_assert_max_num_queries: Any, count: int
) -> None:
    for _ in range(count):
        PayoutAccountFactory.create(
            project=MaintainershipFactory.create(user=maintainer_user).project
        )
    # Already known to read the site in English: no language to record on this page.
    User.objects.filter(pk=maintainer_user.pk).update(language="en")
    # 4, the payout history of every project (one query), and the menu's portal link.
    with django_assert_max_num_queries(6):
        response = maintainer.get("/en/projects/mine/")
    assert len(response.context["maintainerships"]) == count + 1


def test_only_a_verified_account_is_payable(administrator_user: User) -> None:
    account = PayoutAccountFactory.create()
    assert selectors.verified_payout_account(project=account.project) is None
    services.payout_account_verify(account=account, actor=administrator_user)
    assert selectors.verified_payout_account(project=account.project) == account


@settings(max_examples=50, deadline=None)
@given(st.from_regex(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}", fullmatch=True))
def test_masking_never_shows_more_than_the_head_and_tail(iban: str) -> None:
    masked = mask_iban(iban)
    visible = masked.replace("•", "").replace(" ", "")
    assert visible == iban[:4] + iban[-3:]
