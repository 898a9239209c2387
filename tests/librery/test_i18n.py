from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.test import Client

from tests import services

ROOT = Path(__file__).resolve().parents[2]
FR_PO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
FR_MO = FR_PO.with_suffix(".mo")
EN_PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"


@pytest.mark.django_db
def test_french_is_the_default_language(anonymous: Client) -> None:
    response = anonymous.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "fr"
    assert '<html lang="fr">' in response.text
    assert "Financer les communs logiciels, ensemble" in response.text


@pytest.mark.django_db
def test_english_under_its_prefix(anonymous: Client) -> None:
    response = anonymous.get("/en/")
    assert response.headers["Content-Language"] == "en"
    assert "Fund the software commons, together" in response.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "french", "english"),
    [
        (
            "/projects/?q=map&status=admitted",
            "/projects/?q=map&amp;status=admitted",
            "/en/projects/?q=map&amp;status=admitted",
        ),
        ("/en/governance/", "/governance/", "/en/governance/"),
        ("/no-such-page/", "/no-such-page/", "/en/"),
    ],
)
def test_language_switcher_links_to_the_same_page(
    anonymous: Client, page: str, french: str, english: str
) -> None:
    html = anonymous.get(page).text
    assert f'href="{french}" lang="fr"' in html
    assert f'href="{english}" lang="en"' in html
    assert html.count('aria-current="true">') >= 1


@pytest.mark.django_db
def test_the_api_negotiates_its_language(anonymous: Client) -> None:
    english = anonymous.get("/api/v1/projects/no-such-project/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 404
    assert english.headers["Content-Language"] == "en"
    assert english.json() == {"detail": "No Project matches the given query."}
    french = anonymous.get("/api/v1/projects/no-such-project/", HTTP_ACCEPT_LANGUAGE="fr")
    assert french.headers["Content-Language"] == "fr"
    assert anonymous.get("/api/v1/projects/").headers["Content-Language"] == "fr"


def test_french_catalogue_is_complete() -> None:
    catalogue = polib.pofile(str(FR_PO))
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []
    assert len(catalogue.translated_entries()) > 100


@pytest.mark.parametrize("po_path", [FR_PO, EN_PO], ids=["fr", "en"])
def test_committed_mo_matches_the_po(po_path: Path) -> None:
    po = {
        (e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural)
        for e in polib.pofile(str(po_path)).translated_entries()
    }
    mo_path = po_path.with_suffix(".mo")
    mo = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(mo_path))}
    assert {k: v for k, v in mo.items() if k[1]} == po


def _words(text: str) -> list[str]:
    return text.lower().replace("-", " ").split()


def test_english_overrides_are_allauth_s_titles_in_sentence_case() -> None:
    """locale/en rewrites allauth's Title Case: each msgid is still one of
    allauth's (an upgrade that renamed it would leave the old case back), and
    its English keeps the words, only their case changes."""
    import allauth  # noqa: PLC0415 -- only to find its catalogue

    allauth_po = Path(allauth.__file__).parent / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    theirs = {(e.msgctxt, e.msgid) for e in polib.pofile(str(allauth_po)) if not e.obsolete}
    overrides = polib.pofile(str(EN_PO)).translated_entries()
    assert len(overrides) > 30
    for entry in overrides:
        assert (entry.msgctxt, entry.msgid) in theirs, entry.msgid
        assert _words(entry.msgstr) == _words(entry.msgid), entry.msgid
        assert entry.msgstr != entry.msgid, entry.msgid


def test_english_account_pages_speak_in_sentence_case(anonymous: Client) -> None:
    page = anonymous.get("/en/accounts/login/").text
    assert "Sign in" in page
    assert "Sign In" not in page
    assert "Remember me" in page
    french = anonymous.get("/accounts/login/").text
    assert "Connexion" in french


def test_every_string_of_the_code_is_in_the_catalogue(tmp_path: Path) -> None:
    """Run Django's makemessages on a copy of the project: no new string may appear."""
    services.need(
        services.gettext_available(), "GNU gettext is not installed (apt-get install gettext)"
    )
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", "var", ".git", "*_cache", "node_modules", "__pycache__"
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "--locale",
            "fr",
            "--no-obsolete",
            "--ignore",
            "tests/*",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "librery.settings.base"},
    )
    known = {(e.msgctxt, e.msgid) for e in polib.pofile(str(FR_PO)) if not e.obsolete}
    fresh = polib.pofile(str(copy / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
    found = {(e.msgctxt, e.msgid) for e in fresh if not e.obsolete}
    assert sorted(found - known, key=str) == []
