"""Public names are chosen, never taken from an email address (issue 9, finding 7)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.test import Client

from contributors import services
from contributors.enums import ContributorKind, Visibility
from contributors.models import Contributor, User
from contributors.services import person_contributor_for
from librery.models import LogEntry
from tests.factories import TEST_PASSWORD, ContributorFactory, UserFactory
from tests.mail import mail_tasks

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]
APPS = ("contributors", "projects", "funds", "governance", "allocation", "librery", "demo")


def _signup(client: Client, **fields: str) -> Any:
    data = {
        "email": "alice.martin@example.org",
        "display_name": "Alice Martin",
        "password1": TEST_PASSWORD,
        "password2": TEST_PASSWORD,
    }
    data.update(fields)
    return client.post("/en/accounts/signup/", data)


def test_sign_up_asks_for_the_public_name(
    anonymous: Client, django_capture_on_commit_callbacks: Any
) -> None:
    page = anonymous.get("/en/accounts/signup/")
    assert page.status_code == 200
    assert 'name="display_name"' in page.text
    assert "Name shown publicly" in page.text

    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        response = _signup(anonymous, display_name="  Alice Martin ")
    assert response.status_code == 302
    user = User.objects.get(email="alice.martin@example.org")
    assert user.display_name == "Alice Martin"


@pytest.mark.parametrize(
    ("display_name", "error"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 151, "Ensure this value has at most 150 characters (it has 151)."),
        (
            "Alice\u202eniraM",
            "This text contains an invisible control character (U+202E); remove it and try again.",
        ),
    ],
)
def test_sign_up_refuses_a_missing_or_bad_name(
    anonymous: Client, display_name: str, error: str
) -> None:
    response = _signup(anonymous, display_name=display_name)
    assert response.status_code == 200
    assert error in response.text
    assert User.objects.count() == 0


def test_a_person_without_a_name_is_anonymous_never_their_email_local_part(
    anonymous: Client,
) -> None:
    user = UserFactory.create(email="alice.martin@example.org", display_name="")
    contributor = person_contributor_for(user=user)
    assert contributor.name == ""
    assert contributor.public_name == "Anonymous contributor"
    page = anonymous.get("/en/transparency/")
    assert "alice.martin" not in page.text
    assert "Anonymous contributor" in page.text
    french = anonymous.get("/transparency/")
    assert "alice.martin" not in french.text
    assert "Contributeur anonyme" in french.text


def test_the_transparency_page_names_those_who_chose_to_appear_anonymously_so(
    anonymous: Client,
) -> None:
    ContributorFactory.create(name="Ville de Nantes", visibility=Visibility.ANONYMOUS)
    ContributorFactory.create(name="Commune Demo", is_demo=True)
    for path, label, demo in (
        ("/en/transparency/", "Anonymous contributor", "Fictional demo"),
        ("/transparency/", "Contributeur anonyme", "Démo fictive"),
    ):
        page = anonymous.get(path).text
        assert f"<td>{label}</td>" in page
        assert "Ville de Nantes" not in page
        assert f'Commune Demo <span class="badge badge--demo">{demo}</span>' in page


def test_a_new_person_contributor_takes_the_display_name() -> None:
    user = UserFactory.create(email="bob@example.org", display_name="Bob Dupont")
    assert person_contributor_for(user=user).name == "Bob Dupont"


def test_changing_the_display_name_renames_the_person_contributor(
    contributor: Client, contributor_user: User
) -> None:
    organisation = ContributorFactory.create(
        kind=ContributorKind.ORGANISATION, name="Assoc", user=contributor_user
    )
    before = contributor_user.display_name
    page = contributor.get("/en/contribute/me/")
    assert 'action="/en/contribute/me/name/"' in page.text
    # The card is "Your name"; its field says what the name is for (once, not twice).
    assert '<h2 class="card__title">Your name</h2>' in page.text
    assert page.text.count("Name shown publicly") == 1
    response = contributor.post("/en/contribute/me/name/", {"display_name": " Alice Martin "})
    assert response.status_code == 302
    assert response["Location"] == "/en/contribute/me/"
    contributor_user.refresh_from_db()
    assert contributor_user.display_name == "Alice Martin"
    person = Contributor.objects.get(user=contributor_user, kind=ContributorKind.PERSON)
    assert person.name == "Alice Martin"
    organisation.refresh_from_db()
    assert organisation.name == "Assoc"  # an organisation keeps its own name
    entry = LogEntry.objects.get(action="contributors.user.display_name_changed")
    assert entry.data == {"before": before, "after": "Alice Martin"}
    assert entry.actor_id == contributor_user.pk


def test_changing_the_display_name_refuses_bad_input_and_changes_nothing(
    contributor: Client, contributor_user: User
) -> None:
    before = contributor_user.display_name
    response = contributor.post("/en/contribute/me/name/", {"display_name": "Eve\u202e"})
    assert response.status_code == 400
    assert "invisible control character (U+202E)" in response.text
    contributor_user.refresh_from_db()
    assert contributor_user.display_name == before
    assert Contributor.objects.get(user=contributor_user).name == "Alice Contributor"
    assert not LogEntry.objects.filter(action="contributors.user.display_name_changed").exists()


def test_the_name_page_needs_a_login(anonymous: Client) -> None:
    response = anonymous.post("/en/contribute/me/name/", {"display_name": "X"})
    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/")


def test_set_display_name_service_is_a_no_op_when_unchanged() -> None:
    user = UserFactory.create(display_name="Same")
    person = person_contributor_for(user=user)
    services.user_set_display_name(user=user, display_name="Same")
    assert not LogEntry.objects.filter(action="contributors.user.display_name_changed").exists()
    person.refresh_from_db()
    assert person.name == "Same"


def test_migration_clears_names_taken_from_the_email_address() -> None:
    derived = ContributorFactory.create(
        name="alice.martin", user=UserFactory.create(email="alice.martin@example.org")
    )
    chosen = ContributorFactory.create(
        name="Bob", user=UserFactory.create(email="bob@example.org", display_name="Bob")
    )
    # An organisation named like its owner's address keeps its name.
    organisation = ContributorFactory.create(
        kind=ContributorKind.ORGANISATION,
        name="carol",
        user=UserFactory.create(email="carol@x.org"),
    )
    migration = importlib.import_module("contributors.migrations.0006_clear_email_derived_names")
    migration.clear_email_derived_names(django_apps, None)
    migration.clear_email_derived_names(django_apps, None)  # idempotent
    assert Contributor.objects.get(pk=derived.pk).name == ""
    assert Contributor.objects.get(pk=chosen.pk).name == "Bob"
    assert Contributor.objects.get(pk=organisation.pk).name == "carol"
    assert Contributor.objects.get(pk=derived.pk).visibility == Visibility.NAMED


def test_no_code_derives_a_name_from_an_email_address() -> None:
    """No code cuts an address at its "@" (the migration that clears such names
    only compares with it)."""
    pattern = re.compile(r"""(split|partition)\(\s*["']@["']""")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]
    assert offenders == []
