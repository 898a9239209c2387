"""The catalogue's "most funded" order read in two parts (`projects.selectors.
MostFunded`): every page equals the same page of the whole catalogue sorted at
once, whatever the mix of projects that received money, nothing, or less than
nothing, and a page of those that received money reads only its own rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from funds.models import ProjectTotal
from funds.selectors import project_funded_order, project_received_totals_cents
from projects.enums import ProjectStatus
from projects.models import Project
from projects.selectors import MostFunded, _by_name, project_list
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

# name, received cents (None: no row of totals, as a project never allocated anything)
CATALOGUE = [
    ("Kappa", 500),
    ("alpha", 500),  # a tie with Kappa: by name, whatever the case
    ("Zeta", 90_000),
    ("Beta", None),
    ("Delta", 0),  # a row of totals at 0: with those without one, by name
    ("Epsilon", -300),  # refunded past what it received: last
    ("Gamma", None),
    ("Omega", 1),
    ("Iota", None),
    ("Eta", -1),
]


def _catalogue() -> None:
    for name, received in CATALOGUE:
        project = ProjectFactory.create(name=name, status=ProjectStatus.ADMITTED)
        if received is not None:
            ProjectTotal.objects.create(project=project, received_cents=received)


def _row(project: Any) -> tuple[str, int]:
    """A project of the "most funded" order: its name and `received_cents`."""
    return (project.name, project.received_cents)


def _sorted_at_once() -> list[tuple[str, int]]:
    return [
        _row(p)
        for p in Project.objects.annotate(received_cents=project_received_totals_cents()).order_by(
            F("received_cents").desc(), _by_name(), "id"
        )
    ]


def test_every_slice_equals_the_catalogue_sorted_at_once() -> None:
    _catalogue()
    expected = _sorted_at_once()
    assert expected[:4] == [("Zeta", 90_000), ("alpha", 500), ("Kappa", 500), ("Omega", 1)]
    assert expected[-2:] == [("Eta", -1), ("Epsilon", -300)]
    for size in range(1, len(CATALOGUE) + 2):
        for start in range(len(CATALOGUE) + 2):
            funded = project_list(sort="funded", funded=project_funded_order())
            assert isinstance(funded, MostFunded)
            assert funded.count() == len(CATALOGUE)
            rows = [_row(p) for p in funded[start : start + size]]
            assert rows == expected[start : start + size], (start, size)
    everything = project_list(sort="funded", funded=project_funded_order())
    assert [_row(p) for p in everything] == expected
    assert len(everything) == len(CATALOGUE)


def test_pages_of_a_filtered_catalogue() -> None:
    _catalogue()
    Project.objects.filter(name__in=["Zeta", "Beta"]).update(status=ProjectStatus.PROPOSED)
    funded = project_list(status="admitted", sort="funded", funded=project_funded_order())
    pages = Paginator(funded, 3)  # type: ignore[arg-type]
    names = [p.name for number in pages.page_range for p in pages.page(number).object_list]
    assert names == ["alpha", "Kappa", "Omega", "Delta", "Gamma", "Iota", "Eta", "Epsilon"]


def test_a_page_of_projects_that_received_money_reads_its_rows_only() -> None:
    _catalogue()
    funded = project_list(sort="funded", funded=project_funded_order())
    funded.count()
    with CaptureQueriesContext(connection) as queries:
        rows = funded[0:3]
    assert [p.name for p in rows] == ["Zeta", "alpha", "Kappa"]
    assert len(queries) == 1
    assert "LIMIT 3" in queries[0]["sql"]
    with CaptureQueriesContext(connection) as queries:
        assert [p.name for p in funded[8:10]] == ["Eta", "Epsilon"]
    assert len(queries) == 3  # nothing there, where it ends, the others


def test_only_bounded_forward_slices() -> None:
    funded = project_list(sort="funded", funded=project_funded_order())
    assert isinstance(funded, MostFunded)
    with pytest.raises(TypeError):
        funded[0]  # type: ignore[index]
    with pytest.raises(TypeError):
        funded[0:4:2]
    with pytest.raises(ValueError, match="bounded"):
        funded[2:]
