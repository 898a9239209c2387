from __future__ import annotations

import csv
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from allocation import selectors
from allocation.documents import document_chunks
from contributors.selectors import public_contributors

CSV_COLUMNS = ["stage", "destination", "project_id", "project", "exact", "cents", "remainder_rank"]


@require_GET
def transparency(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "allocation/transparency.html",
        {
            "figures": selectors.transparency_figures(),
            "contributors": public_contributors(),
            "runs": selectors.computed_runs(),
        },
    )


@require_GET
def run_detail(request: HttpRequest, period: str) -> HttpResponse:
    run = selectors.computed_run(period=period)
    return render(
        request,
        "allocation/run_detail.html",
        {"run": run, "projects": selectors.run_projects(run=run)},
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
