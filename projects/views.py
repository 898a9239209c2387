from __future__ import annotations

from collections.abc import Callable
from functools import cached_property, wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from allocation import selectors_payouts, selectors_projects
from contributors import selectors as contributor_selectors
from contributors import selectors_sbom
from funds import selectors as funds_selectors
from funds.charts import funds_chart
from librery.pagecache import public_cached
from librery.paging import CountedPaginator
from librery.ratelimits import rate_limited
from projects import selectors, services
from projects.enums import FetchStatus, ProjectStatus
from projects.fetching import FetchError
from projects.forms import (
    ClaimReviewForm,
    ManifestForm,
    PayoutAccountForm,
    ProjectEditForm,
    ProjectSearchForm,
)
from projects.fundingjson import MAX_MANIFEST_BYTES, ManifestError, Problem
from projects.images import MAX_LOGO_UPLOAD_BYTES
from projects.models import (
    FundingManifestFetch,
    Maintainership,
    PayoutAccount,
    Project,
    ProjectClaim,
)
from projects.permissions import is_maintainer
from projects.selectors import ProjectSort, project_list
from projects.uploads import (
    MAX_MANIFEST_REQUEST_BYTES,
    MAX_PROJECT_EDIT_REQUEST_BYTES,
    upload_too_large,
)

PAGE_SIZE = 24
REFRESH_SECONDS = 2  # how often a page waiting on a fetch reloads itself
View = Callable[..., HttpResponse]


def _upload_limited(max_bytes: int) -> Callable[[View], View]:
    """Refuse (413) a post whose body is larger than `max_bytes`, before it is read."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            message = upload_too_large(request, max_bytes) if request.method == "POST" else ""
            if message:
                return render(
                    request, "projects/upload_too_large.html", {"message": message}, status=413
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


@public_cached
@require_GET
def project_index(request: HttpRequest) -> HttpResponse:
    form = ProjectSearchForm(request.GET or None)
    filters = form.filters()
    funded = funds_selectors.project_funded_order()
    page = Paginator(project_list(**filters, funded=funded), PAGE_SIZE).get_page(  # type: ignore[call-overload]
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projects/project_list.html",
        {
            "form": form,
            "page": page,
            "statuses": ProjectStatus,
            "query": query.urlencode(),
            "by_funds": filters.get("sort") == ProjectSort.MOST_FUNDED,
        },
    )


CONTRIBUTORS_PER_PAGE = 50
# How long a project page's money sections stay rendered; their key changes with
# the data they show (`selectors_projects.money_stamp`), so this only bounds memory.
MONEY_SECTIONS_SECONDS = 3600


class ProjectMoney:
    """What a project page's money sections show (funds per month and its chart,
    each monthly allocation and the earmarks waiting, payouts and the balance),
    read only when the template renders them: the page keeps them rendered in the
    cache under `money_stamp`, so most visits read none of it."""

    def __init__(self, project: Project) -> None:
        self.project = project

    @cached_property
    def months(self) -> list[funds_selectors.MonthlyFunds]:
        return funds_selectors.project_funds_by_month(project=self.project)

    @cached_property
    def chart(self) -> Any:
        return funds_chart(months=self.months)

    @cached_property
    def payouts(self) -> list[Any]:
        return list(selectors_payouts.project_payouts(project=self.project))

    @cached_property
    def waiting_cents(self) -> int:
        return selectors_payouts.project_waiting_cents(project=self.project)

    @cached_property
    def allocations(self) -> list[selectors_projects.ProjectMonth]:
        return selectors_projects.project_months(project=self.project)

    @cached_property
    def waiting_allocation(self) -> selectors_projects.Waiting:
        return selectors_projects.project_waiting_allocation(project=self.project)


@public_cached
@require_GET
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_detail(slug=slug)
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "maintainers": project.public_maintainers,  # type: ignore[attr-defined]
            "has_maintainer": project.has_maintainer,  # type: ignore[attr-defined]
            "maintains": is_maintainer(request.user, project),
            "usages": project.usages.all(),
            "sbom_contributors": selectors_sbom.project_sbom_contributors(project=project),
            "money": ProjectMoney(project),
            "money_stamp": selectors_projects.money_stamp(),
            "money_seconds": MONEY_SECTIONS_SECONDS,
            "contributors": CountedPaginator(
                contributor_selectors.project_public_contributors(project=project),
                CONTRIBUTORS_PER_PAGE,
            ).get_page(request.GET.get("contributors")),
            "decisions": selectors.project_governance_history(project=project),
            "licence_problems": selectors.unrecognised_licences(project.licences),
        },
    )


def _maintained_project(request: HttpRequest, slug: str) -> Project:
    """The project, if the signed-in user maintains it; 404 otherwise (no IDOR)."""
    project = get_object_or_404(Project, slug=slug)
    if not is_maintainer(request.user, project):
        raise Http404
    return project


@login_required
@require_http_methods(["GET", "POST"])
def payout_account_edit(request: HttpRequest, slug: str) -> HttpResponse:
    project = _maintained_project(request, slug)
    account = PayoutAccount.objects.filter(project=project).first()
    initial = (
        {}
        if account is None
        else {
            "holder_name": account.holder_name,
            "iban": account.iban,
            "bic": account.bic,
            "address": account.address,
        }
    )
    form = PayoutAccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.payout_account_save(project=project, actor=request.user, **form.cleaned_data)
        except services.PayoutAccountError as exc:
            for field, message in exc.errors.items():
                form.add_error(None if field == "__all__" else field, message)
        else:
            messages.success(
                request,
                _("The payout account was saved. An administrator verifies it before any payout."),
            )
            return redirect("projects:mine")
    return render(
        request,
        "projects/payout_account_form.html",
        {"project": project, "account": account, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def my_projects(request: HttpRequest) -> HttpResponse:
    maintainerships = selectors.maintained_projects(user=request.user)
    balances = funds_selectors.project_balances(project_ids=[m.project_id for m in maintainerships])
    payouts = selectors_payouts.payouts_by_project(
        project_ids=[m.project_id for m in maintainerships]
    )
    return render(
        request,
        "projects/my_projects.html",
        {
            "maintainerships": maintainerships,
            "rows": [(m, balances[m.project_id]) for m in maintainerships],
            "in_debt": any(balances[m.project_id] < 0 for m in maintainerships),
            "payout_rows": [
                (m.project, payouts[m.project_id]) for m in maintainerships if payouts[m.project_id]
            ],
        },
    )


@login_required
@rate_limited("manifest")
@_upload_limited(MAX_MANIFEST_REQUEST_BYTES)
@require_http_methods(["GET", "POST"])
def manifest_submit(request: HttpRequest) -> HttpResponse:
    form = ManifestForm(request.POST or None, request.FILES or None)
    problems: list[Problem] = []
    result = None
    if request.method == "POST" and form.is_valid():
        url = form.cleaned_data["url"] or ""
        try:
            if url:  # fetched by a task: the page shows its progress
                fetch = services.manifest_fetch_request(url=url, actor=request.user)
                return redirect("projects:manifest_fetch", pk=fetch.pk)
            raw = form.cleaned_data["file"].read(MAX_MANIFEST_BYTES + 1)
            result = services.funding_manifest_import(raw=raw, actor=request.user)
        except FetchError as exc:
            form.add_error("url", str(exc))
        except ManifestError as exc:
            problems = exc.problems
    status = 400 if request.method == "POST" and result is None else 200
    return render(
        request,
        "projects/manifest_form.html",
        {"form": form, "problems": problems, "result": result},
        status=status,
    )


@login_required
@require_GET
def manifest_fetch(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress, then the outcome, of a manifest fetch the user started."""
    fetch = get_object_or_404(
        FundingManifestFetch, pk=pk, requested_by_id=request.user.pk or 0, claim__isnull=True
    )
    problems = [Problem(field, message) for field, message in fetch.result.get("problems", [])]
    return render(
        request,
        "projects/manifest_fetch.html",
        {"fetch": fetch, "problems": problems, "refresh_seconds": REFRESH_SECONDS},
    )


def _claim_page(
    request: HttpRequest,
    claim: ProjectClaim,
    *,
    form: ClaimReviewForm | None = None,
    fetch: FundingManifestFetch | None = None,
    status: int = 200,
) -> HttpResponse:
    """The claim page: the token, where to publish it, and the review form."""
    project = claim.project
    initial = {"evidence": claim.evidence, "links": "\n".join(claim.evidence_links)}
    return render(
        request,
        "projects/claim.html",
        {
            "project": project,
            "claim": claim,
            "manifest_url": project.entity.manifest_url if project.entity else "",
            "places": services.claim_places(project),
            "review_form": form or ClaimReviewForm(initial=initial),
            "fetch": fetch,
            "error": fetch.error if fetch else "",
            "refresh_seconds": REFRESH_SECONDS,
        },
        status=status,
    )


@login_required
@rate_limited("claim", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def project_claim(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_object_or_404(Project.objects.select_related("entity"), slug=slug)
    try:
        claim = services.project_claim_start(project=project, actor=request.user)
        if request.method == "POST":  # verified by a task: its page shows the progress
            fetch = services.claim_verify_request(claim=claim, actor=request.user)
            return redirect("projects:claim_fetch", slug=project.slug, pk=fetch.pk)
    except services.ClaimError as exc:
        messages.error(request, str(exc))
        return redirect("projects:detail", slug=project.slug)
    return _claim_page(request, claim)


@login_required
@rate_limited("claim")
@require_POST
def project_claim_review(request: HttpRequest, slug: str) -> HttpResponse:
    """The claimant asks an administrator to review the claim, with evidence."""
    project = get_object_or_404(Project.objects.select_related("entity"), slug=slug)
    try:
        claim = services.project_claim_start(project=project, actor=request.user)
    except services.ClaimError as exc:
        messages.error(request, str(exc))
        return redirect("projects:detail", slug=project.slug)
    form = ClaimReviewForm(request.POST)
    if form.is_valid():
        try:
            services.project_claim_review_request(
                claim=claim,
                actor=request.user,
                evidence=form.cleaned_data["evidence"],
                links=form.cleaned_data["links"],
            )
        except services.ClaimError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Your claim awaits an administrator's review; you will be told by email."),
            )
            return redirect("projects:claim", slug=project.slug)
    return _claim_page(request, claim, form=form, status=400)


@login_required
@require_GET
def claim_fetch(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The progress, then the outcome, of the verification of the user's claim."""
    fetch = get_object_or_404(
        FundingManifestFetch.objects.select_related("claim__project__entity"),
        pk=pk,
        requested_by_id=request.user.pk or 0,
        claim__project__slug=slug,
    )
    if fetch.status == FetchStatus.SUCCEEDED:
        messages.success(request, _("Verified: you are now a maintainer of this project."))
        return redirect("projects:mine")
    claim = fetch.claim
    assert claim is not None  # noqa: S101 -- filtered on its project
    return _claim_page(request, claim, fetch=fetch)


@require_GET
def project_funding_json(request: HttpRequest, slug: str) -> JsonResponse:
    project = get_object_or_404(
        Project.objects.select_related("entity"), slug=slug, status=ProjectStatus.ADMITTED
    )
    manifest = selectors.project_funding_manifest(project=project, site_url=settings.SITE_URL)
    response = JsonResponse(manifest, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Access-Control-Allow-Origin"] = "*"
    return response


@login_required
@_upload_limited(MAX_PROJECT_EDIT_REQUEST_BYTES)
@require_http_methods(["GET", "POST"])
def project_edit(request: HttpRequest, slug: str) -> HttpResponse:
    project = _maintained_project(request, slug)
    membership = get_object_or_404(Maintainership, project=project, user_id=request.user.pk or 0)
    initial = {
        "summary": project.summary,
        "summary_en": project.summary_en,
        "description": project.description,
        "description_en": project.description_en,
        "repository_url": project.repository_url,
        "website_url": project.website_url,
        "licences": ", ".join(project.licences),
        "tags": ", ".join(project.tags),
        "is_public": membership.is_public,
        "identifiers": "\n".join(services.identifiers_declared(project=project)),
    }
    form = ProjectEditForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("logo")
        is_public = data.pop("is_public")
        identifiers = data.pop("identifiers")
        try:
            services.project_update(
                project=project,
                actor=request.user,
                values=data,
                logo=upload.read(MAX_LOGO_UPLOAD_BYTES + 1) if upload else None,
                is_public=is_public,
                identifiers=identifiers,
            )
        except services.ProjectEditError as exc:
            for field, message in exc.errors.items():
                form.add_error(None if field == "__all__" else field, message)
        else:
            messages.success(request, _("The project was updated."))
            return redirect("projects:detail", slug=project.slug)
    return render(
        request,
        "projects/project_edit.html",
        {"project": project, "form": form},
        status=400 if form.errors else 200,
    )
