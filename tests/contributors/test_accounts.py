from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client

from contributors.models import User
from tests.factories import TEST_PASSWORD, UserFactory
from tests.mail import mail_tasks
from tests.totp import totp_code

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_sign_up_verify_email_then_log_in(
    anonymous: Client, django_capture_on_commit_callbacks: Any
) -> None:
    # The confirmation goes through the one mail task, after the commit.
    with mail_tasks() as queued, django_capture_on_commit_callbacks(execute=True):
        response = anonymous.post(
            "/en/accounts/signup/",
            {
                "email": "newcomer@example.org",
                "display_name": "Newcomer",
                "password1": TEST_PASSWORD,
                "password2": TEST_PASSWORD,
            },
        )
        assert mail.outbox == []
    assert [task["recipient"] for task in queued] == ["newcomer@example.org"]
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/confirm-email/"
    user = User.objects.get(email="newcomer@example.org")
    assert not user.emailaddress_set.get().verified  # type: ignore[attr-defined]

    assert len(mail.outbox) == 1
    # The site's name from settings, never the host the request came in on.
    assert "Hello from The Librery!" in str(mail.outbox[0].body)
    assert "testserver" not in str(mail.outbox[0].subject) + str(mail.outbox[0].body).split("\n")[0]
    link = re.search(r"http://\S+/accounts/confirm-email/(\S+)/", str(mail.outbox[0].body))
    assert link is not None
    confirm = anonymous.post(f"/en/accounts/confirm-email/{link.group(1)}/")
    assert confirm.status_code == 302
    assert user.emailaddress_set.get().verified  # type: ignore[attr-defined]

    fresh = Client()
    login = fresh.post(
        "/en/accounts/login/", {"login": "newcomer@example.org", "password": TEST_PASSWORD}
    )
    assert login.status_code == 302
    assert fresh.get("/en/contribute/me/").status_code == 200


def test_unverified_email_cannot_log_in(anonymous: Client) -> None:
    UserFactory.create(email="unverified@example.org", verified_email=False)
    response = anonymous.post(
        "/en/accounts/login/", {"login": "unverified@example.org", "password": TEST_PASSWORD}
    )
    assert response["Location"] == "/en/accounts/confirm-email/"
    assert anonymous.get("/en/contribute/me/").status_code == 302


def test_bad_signup_gets_clear_errors_and_creates_nothing(anonymous: Client) -> None:
    response = anonymous.post(
        "/en/accounts/signup/",
        {"email": "not-an-email", "password1": "short", "password2": "other"},
    )
    assert response.status_code == 200
    assert "Enter a valid email address." in response.text
    assert User.objects.count() == 0


def test_staff_log_in_needs_the_totp_code(administrator_user: User, admin_totp_secret: str) -> None:
    client = Client()
    response = client.post(
        "/en/accounts/login/", {"login": administrator_user.email, "password": TEST_PASSWORD}
    )
    assert response["Location"] == "/en/accounts/2fa/authenticate/"
    assert client.get("/en/admin/").status_code == 302  # not logged in yet

    wrong = client.post("/en/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "Incorrect code." in wrong.text

    right = client.post("/en/accounts/2fa/authenticate/", {"code": totp_code(admin_totp_secret)})
    assert right.status_code == 302
    assert client.get("/en/admin/").status_code == 200


def test_staff_without_mfa_are_sent_to_set_it_up() -> None:
    staff = UserFactory.create(is_staff=True)
    client = Client()
    client.post("/en/accounts/login/", {"login": staff.email, "password": TEST_PASSWORD})
    for url in ("/en/admin/", "/en/contribute/me/", "/en/projects/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/en/accounts/2fa/totp/activate/"
    assert client.get("/en/accounts/2fa/totp/activate/").status_code in {200, 302}
    assert not Authenticator.objects.filter(user=staff).exists()


def test_staff_sets_up_totp_and_gets_recovery_codes() -> None:
    staff = UserFactory.create(is_staff=True)
    client = Client()
    client.post("/en/accounts/login/", {"login": staff.email, "password": TEST_PASSWORD})
    ask = client.get("/en/accounts/2fa/totp/activate/")
    assert ask["Location"].startswith("/en/accounts/reauthenticate/")  # password again first
    assert client.post(ask["Location"], {"password": TEST_PASSWORD}).status_code == 302
    page = client.get("/en/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    done = client.post("/en/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert done.status_code == 302
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    codes = client.get("/en/accounts/2fa/recovery-codes/")
    assert codes.status_code == 200
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.RECOVERY_CODES).exists()
    assert client.get("/en/admin/").status_code == 200


def test_admin_login_is_allauths(anonymous: Client) -> None:
    response = anonymous.get("/en/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/")
    posted = anonymous.post("/en/admin/login/", {"username": "x@example.org", "password": "x"})
    assert posted.status_code == 302
    assert posted["Location"].startswith("/en/accounts/login/")


def test_failed_logins_are_rate_limited(anonymous: Client) -> None:
    user = UserFactory.create(email="target@example.org")
    for _ in range(5):
        failed = anonymous.post("/en/accounts/login/", {"login": user.email, "password": "wrong"})
        assert failed.status_code == 200
    blocked = anonymous.post(
        "/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD}
    )
    assert blocked.status_code == 200
    assert "Too many failed login attempts" in blocked.text
    assert "_auth_user_id" not in anonymous.session


def test_password_reset_sends_a_working_link(
    anonymous: Client, django_capture_on_commit_callbacks: Any
) -> None:
    user = UserFactory.create(email="forgetful@example.org")
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        response = anonymous.post("/en/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+(/en/accounts/password/reset/key/\S+/)", str(mail.outbox[0].body))
    assert link is not None
    form = anonymous.get(link.group(1), follow=True)
    assert form.status_code == 200
    new = "a brand new passphrase 42"
    done = anonymous.post(form.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_password_change_and_logout(contributor: Client, contributor_user: User) -> None:
    new = "another good passphrase 7"
    response = contributor.post(
        "/en/accounts/password/change/",
        {"oldpassword": TEST_PASSWORD, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    contributor_user.refresh_from_db()
    assert contributor_user.check_password(new)
    assert contributor.post("/en/accounts/logout/").status_code == 302
    assert contributor.get("/en/contribute/me/").status_code == 302
