"""A form sent without a valid CSRF token gets the site's own page, in the
reader's language, with the way back to the form; nothing is saved. (It was
Django's bare technical page, whose inline styles the CSP blocks.)"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from contributors.models import User

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _send_name_without_token(user: User, path: str, referer: str) -> Any:
    """The name form, sent by a signed-in person whose CSRF token is missing."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client.post(path, {"display_name": "Someone Else"}, HTTP_REFERER=referer)


def test_a_form_sent_without_its_token_says_so_and_saves_nothing(
    contributor_user: User,
) -> None:
    before = contributor_user.display_name
    response = _send_name_without_token(
        contributor_user, "/contribute/me/name/", "http://testserver/contribute/me/"
    )
    assert response.status_code == 403
    page = response.text
    assert "<title>Le formulaire n’a pas pu être envoyé · The Librery</title>" in page  # noqa: RUF001
    assert "<strong>Rien n’a été enregistré.</strong>" in page  # noqa: RUF001
    assert '<a class="btn btn--primary" href="http://testserver/contribute/me/">' in page
    assert 'class="site-footer' in page  # the site's layout, not Django's bare page
    assert re.search(r"<style|\sstyle=", page) is None  # nothing the CSP would block
    contributor_user.refresh_from_db()
    assert contributor_user.display_name == before


def test_in_english_and_never_back_to_another_site(contributor_user: User) -> None:
    response = _send_name_without_token(
        contributor_user, "/en/contribute/me/name/", "https://elsewhere.example.org/form/"
    )
    assert response.status_code == 403
    assert "<h1>The form could not be sent</h1>" in response.text
    assert "Nothing was saved." in response.text
    assert "elsewhere.example.org" not in response.text
    assert "Back to the form" not in response.text
