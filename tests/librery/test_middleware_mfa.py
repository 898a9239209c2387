"""Staff without TOTP reach its set-up page, and only it, in every language,
whichever language the process served first (issue 9, finding 9: the allowed
paths were reversed once, in the first language, and the set-up page of the
other language redirected to itself)."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PREFIX = {"fr": "", "en": "/en"}


@pytest.mark.parametrize(("first", "second"), [("fr", "en"), ("en", "fr")])
def test_staff_without_totp_reach_the_set_up_page_in_both_languages(
    first: str, second: str
) -> None:
    staff = UserFactory.create(is_staff=True)
    # One client: one handler, so one middleware instance, as in one worker process.
    client = Client()
    login = client.post(
        f"{PREFIX[first]}/accounts/login/", {"login": staff.email, "password": TEST_PASSWORD}
    )
    assert login.status_code == 302
    reauthenticated = client.post(
        f"{PREFIX[first]}/accounts/reauthenticate/", {"password": TEST_PASSWORD}
    )
    assert reauthenticated.status_code == 302
    for language in (first, second, first):
        setup = f"{PREFIX[language]}/accounts/2fa/totp/activate/"
        page = client.get(setup)
        assert page.status_code == 200, (language, page.get("Location"))
        assert page.context["form"].secret
        for url in ("/contribute/me/", "/projects/", "/admin/"):
            response = client.get(f"{PREFIX[language]}{url}")
            assert response.status_code == 302, (language, url)
            assert response["Location"] == setup
    assert not Authenticator.objects.filter(user=staff).exists()
