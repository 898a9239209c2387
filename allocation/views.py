from __future__ import annotations

import csv
from collections.abc import Iterator
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET

from allocation import selectors, selectors_receipts, selectors_statement
from allocation import selectors_transparency as transparency
from allocation.documents import document_chunks
from allocation.models import AllocationRun
from allocation.statement_pdf import statement_pdf
from contributors.selectors import contributors_of, public_contributors
from funds.charts import funds_chart
from funds.selectors import receipts_of
from governance.selectors import released_decisions
from librery.pagecache import public_cached
from librery.publication import verify_script

CSV_COLUMNS = ["stage", "destination", "project_id", "project", "exact", "cents", "remainder_rank"]


PROJECTS_PER_PAGE = 20
CONTRIBUTORS_PER_PAGE = 50


def _transparency_data(run: AllocationRun | None) -> dict[str, Any]:
    figures = transparency.overview(run=run)
    top = list(transparency.project_rows(run=run)[: transparency.TOP_PROJECTS])
    return {
        "overview": figures,
        "diagram": transparency.flow_diagram(figures=figures, top=top),
        "received_chart": funds_chart(months=figures.received_by_month),
        "paid_chart": funds_chart(months=figures.paid_by_month),
    }


@public_cached
@require_GET
def transparency_page(request: HttpRequest) -> HttpResponse:
    """Where every euro went: every month or one (`?month=2026-03`), from the
    cache (its key changes when a run is computed or a payout moves)."""
    period = request.GET.get("month", "")
    run = selectors.computed_run(period=period) if period else None
    stamp = transparency.fingerprint()

    @cache
    def data() -> dict[str, Any]:
        return transparency.cached(  # type: ignore[no-any-return]
            f"page:{period or 'all'}", lambda: _transparency_data(run), stamp=stamp
        )

    def lazy(key: str) -> Any:
        return SimpleLazyObject(lambda: data()[key])

    figures = selectors.transparency_figures()
    contributors = Paginator(public_contributors(), CONTRIBUTORS_PER_PAGE)
    contributors.count = figures["contributors_public"]  # counted with the figures

    return render(
        request,
        "allocation/transparency.html",
        {
            # The sections drawn from the runs and payouts are kept rendered under
            # the stamp: what they show is read only when one is rendered afresh.
            **{key: lazy(key) for key in ("overview", "diagram", "received_chart", "paid_chart")},
            "stamp": stamp,
            "fragment_seconds": transparency.CACHE_SECONDS,
            "period": period,
            "figures": figures,
            "projects_page": request.GET.get("page", ""),
            "projects": SimpleLazyObject(
                lambda: Paginator(transparency.project_rows(run=run), PROJECTS_PER_PAGE).get_page(
                    request.GET.get("page")
                )
            ),
            "contributors": contributors.get_page(request.GET.get("contributors")),
            "depended_upon": transparency.depended_upon_least_funded(),
        },
    )


@public_cached
@require_GET
def open_data(request: HttpRequest) -> HttpResponse:
    """What the fund publishes, how to check it with verify.py, and the API: the
    commands name this site's latest run and decision, so they can be pasted."""
    run = selectors.computed_runs().only("period").first()
    decision = released_decisions().only("pk").first()

    def address(name: str, *args: Any) -> str:
        return request.build_absolute_uri(reverse(name, args=args))

    script = verify_script()
    return render(
        request,
        "allocation/open_data.html",
        {
            "verify_sha256": script.sha256,
            "verify_bytes": len(script.content),
            "run_json_url": address("allocation:run_json", run.period) if run else "",
            "decision_url": address("governance:decision", decision.pk) if decision else "",
            "log_url": address("publication_log"),
        },
    )


@public_cached
@require_GET
def run_detail(request: HttpRequest, period: str) -> HttpResponse:
    run = selectors.computed_run(period=period, light=True)
    return render(
        request,
        "allocation/run_detail.html",
        {
            "run": run,
            # A page at a time: a national fund's run reaches hundreds of projects.
            "projects": Paginator(selectors.run_projects(run=run), PROJECTS_PER_PAGE).get_page(  # type: ignore[arg-type]
                request.GET.get("page")
            ),
        },
    )


@require_GET
def run_json(request: HttpRequest, period: str) -> StreamingHttpResponse:
    """The published document, streamed: its bytes hash to the run's sha256."""
    run = selectors.computed_run(period=period)
    response = StreamingHttpResponse(
        (chunk.encode() for chunk in document_chunks(run)), content_type="application/json"
    )
    response["Content-Disposition"] = f'inline; filename="allocation-{run.period}.json"'
    return response


class _Line:
    """A file-like object that hands back what csv writes to it."""

    def write(self, value: str) -> str:
        return value


@require_GET
def run_csv(request: HttpRequest, period: str) -> StreamingHttpResponse:
    """What each destination got, at both roundings, one row each."""
    run = selectors.computed_run(period=period)
    writer = csv.writer(_Line())

    def rows() -> Iterator[str]:
        yield writer.writerow(CSV_COLUMNS)
        for row in run.destinations.select_related("project").order_by("-stage", "remainder_rank"):
            yield writer.writerow(
                [
                    row.stage,
                    row.destination,
                    row.project_id or "",
                    row.project.name if row.project is not None else "",
                    row.exact,
                    row.cents,
                    row.remainder_rank,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="allocation-{run.period}.csv"'
    return response


@require_GET
def run_sha256(request: HttpRequest, period: str) -> HttpResponse:
    """The document's hash as `sha256sum` prints it (check with `sha256sum -c`)."""
    run = selectors.computed_run(period=period)
    return HttpResponse(
        f"{run.document_sha256}  allocation-{run.period}.json\n",
        content_type="text/plain; charset=utf-8",
    )


@login_required
@require_GET
def receipt_trace(request: HttpRequest, pk: int) -> HttpResponse:
    """Where one of the contributor's receipts went (404 for anyone else's)."""
    receipt = get_object_or_404(receipts_of(request.user), pk=pk)
    return render(
        request,
        "allocation/receipt_trace.html",
        {"trace": selectors_receipts.receipt_trace(receipt=receipt)},
    )


@login_required
@require_GET
def contributor_statement(request: HttpRequest, pk: int, year: int, language: str) -> HttpResponse:
    """The yearly statement of one of the user's contributors, in French or English."""
    contributor = get_object_or_404(contributors_of(request.user), pk=pk)  # type: ignore[arg-type]
    if language not in dict(settings.LANGUAGES):
        raise Http404
    statement = selectors_statement.contributor_statement(contributor=contributor, year=year)
    response = HttpResponse(statement_pdf(statement, language), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="statement-{year}-{pk}-{language}.pdf"'
    return response
