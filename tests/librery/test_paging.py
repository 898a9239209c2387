"""CountedPaginator gives what Django's paginator gives, with the count read by the
page's own query."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.paginator import Paginator

from librery.paging import CountedPaginator
from projects.models import Project
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

ASKED: list[int | str | None] = ["1", "2", "3", 2, "99", "0", "-1", "abc", None, "", "1.5"]


@pytest.mark.parametrize("rows", [0, 1, 5, 6, 13])
def test_every_page_asked_for_is_the_one_django_gives(rows: int) -> None:
    ProjectFactory.create_batch(rows)
    projects = Project.objects.order_by("name", "id")
    for asked in ASKED:
        theirs = Paginator(projects, 5).get_page(asked)
        ours = CountedPaginator(projects, 5).get_page(asked)
        assert ours.number == theirs.number, asked
        assert list(ours.object_list) == list(theirs.object_list), asked
        assert ours.paginator.count == theirs.paginator.count == rows
        assert ours.paginator.num_pages == theirs.paginator.num_pages
        assert ours.has_next() == theirs.has_next()
        assert ours.start_index() == theirs.start_index()


def test_a_page_with_rows_is_one_query(django_assert_num_queries: Any) -> None:
    ProjectFactory.create_batch(7)
    projects = Project.objects.order_by("name", "id")
    with django_assert_num_queries(1) as captured:
        page = CountedPaginator(projects, 5).get_page("2")
        assert page.paginator.count == 7
        assert page.paginator.num_pages == 2
        assert len(page.object_list) == 2
    assert "OVER ()" in captured.captured_queries[0]["sql"]
    # Nothing at all: the empty first page says so.
    with django_assert_num_queries(1):
        empty = CountedPaginator(projects.filter(pk=-1), 5).get_page("1")
        assert (empty.number, list(empty.object_list), empty.paginator.count) == (1, [], 0)
    # Past the end: Django's way, a count and then the last page.
    with django_assert_num_queries(3):
        last = CountedPaginator(projects, 5).get_page("9")
        assert (last.number, len(last.object_list)) == (2, 2)
