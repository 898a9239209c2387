"""`CountedPaginator`: Django's paginator for a query that reads every matching
row to give a page anyway (a DISTINCT, a sort that no index gives): the page's
own query counts them (`COUNT(*) OVER ()`), instead of a second query that finds
them all again for the count."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window

_TOTAL = "paginator_total"


class CountedPaginator(Paginator[Any]):
    """A paginator of a queryset whose pages carry the number of rows in all. A
    page past the end, or a page number that is not one, falls back to Django's
    way (a count, then the last or the first page). Like Django's with its
    defaults: no orphans, an empty first page allowed."""

    object_list: QuerySet[Any]

    def get_page(self, number: Any) -> Page[Any]:
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 1
        if wanted >= 1:
            start = (wanted - 1) * self.per_page
            rows = list(
                self.object_list.annotate(**{_TOTAL: Window(Count("*"))})[
                    start : start + self.per_page
                ]
            )
            if rows or wanted == 1:
                # Django's own cached property, known now without a query (an
                # empty first page: there is nothing at all).
                self.__dict__["count"] = getattr(rows[0], _TOTAL) if rows else 0
                return Page(rows, wanted, self)
        return super().get_page(number)
