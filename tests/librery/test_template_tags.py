"""The table helpers: `row_url` gives what `{% url %}` gives, `label` what
`get_FIELD_display` gives, in each language."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from governance.enums import BallotKind
from governance.models import Ballot
from librery.reversing import row_reverse, row_reverser
from librery.templatetags.rowurls import row_url
from projects.enums import ProjectStatus
from projects.models import Project

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    ("name", "argument"),
    [
        ("projects:detail", "qgis"),
        ("projects:detail", "bench-17_b"),
        ("projects:detail", "17"),
        ("governance:decision", 42),
        ("governance:decision", "0042"),
        ("allocation:run", "2026-03"),  # a pattern of its own: reversed each time
    ],
)
def test_row_url_is_what_reverse_gives(language: str, name: str, argument: object) -> None:
    with translation.override(language):
        assert row_url(Context(), name, argument) == reverse(name, args=[argument])


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    ("name", "argument"),
    [
        ("projects:detail", "qgis"),
        ("projects:detail", "17"),
        ("governance:decision", 42),
        ("allocation:run", "2026-03"),
        ("allocation:run_json", "2026-12"),
    ],
)
def test_a_reverser_gives_its_language_s_url_whatever_the_active_one(
    language: str, name: str, argument: object
) -> None:
    with translation.override(language):
        expected = reverse(name, args=[argument])
    other = "en" if language == "fr" else "fr"
    with translation.override(other):
        assert row_reverser(name, language=language)(argument) == expected
        assert row_reverse(name, argument) == reverse(name, args=[argument]) != expected


@pytest.mark.parametrize("argument", [True, False, 1.5, "a b", "2026-3", None])
@pytest.mark.parametrize("name", ["governance:decision", "allocation:run", "projects:detail"])
def test_row_reverse_gives_or_refuses_whatever_reverse_does(name: str, argument: object) -> None:
    with translation.override("en"):
        try:
            expected = reverse(name, args=[argument])
        except NoReverseMatch:
            with pytest.raises(NoReverseMatch):
                row_reverse(name, argument)
            with pytest.raises(NoReverseMatch):
                row_reverser(name)(argument)
        else:
            assert row_reverse(name, argument) == expected
            assert row_reverser(name)(argument) == expected


def test_months_are_remembered_but_never_one_reverse_refuses() -> None:
    with translation.override("en"):
        assert row_reverse("allocation:run", "2026-03") == "/en/transparency/runs/2026-03/"
        assert row_reverse("allocation:run", "2026-03") == "/en/transparency/runs/2026-03/"
    with translation.override("fr"):
        assert row_reverse("allocation:run", "2026-03") == "/transparency/runs/2026-03/"
    with pytest.raises(NoReverseMatch):
        row_reverse("allocation:run", "2026-13")
    with pytest.raises(NoReverseMatch):
        row_reverser("governance:decision")("not-a-number")


def test_row_url_follows_the_root_urlconf_in_force() -> None:
    with translation.override("en"):
        platform = row_url(Context(), "projects:detail", "qgis")  # remembered for this URLconf
        with override_settings(ROOT_URLCONF="tests.librery.urls_elsewhere"):
            assert row_url(Context(), "projects:detail", "qgis") == "/elsewhere/qgis/"
        assert row_url(Context(), "projects:detail", "qgis") == platform


def test_row_url_refuses_what_reverse_refuses() -> None:
    with pytest.raises(NoReverseMatch):
        row_url(Context(), "governance:decision", "not-a-number")
    with pytest.raises(NoReverseMatch):
        row_url(Context(), "projects:detail", "a/b")
    with pytest.raises(NoReverseMatch):  # not plain: left to `reverse`, which refuses it
        row_url(Context(), "projects:detail", "écrit")


def test_the_tags_render_in_a_template() -> None:
    template = Template(
        '{% load labels rowurls %}{% row_url "projects:detail" project.slug %} '
        '{{ project|label:"status" }} {{ ballot|label:"kind" }} {{ odd|label:"status" }}'
    )
    project = Project(slug="qgis", status=ProjectStatus.ADMITTED)
    odd = Project(slug="odd", status="unknown")
    ballot = Ballot(kind=BallotKind.ROUND)
    with translation.override("en"):
        english = template.render(Context({"project": project, "ballot": ballot, "odd": odd}))
        assert english == (
            f"/en/projects/qgis/ {project.get_status_display()} {ballot.get_kind_display()} unknown"
        )
    with translation.override("fr"):
        french = template.render(Context({"project": project, "ballot": ballot, "odd": odd}))
        assert french == (
            f"/projects/qgis/ {project.get_status_display()} {ballot.get_kind_display()} unknown"
        )
    assert english != french
