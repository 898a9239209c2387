"""Pages of "Earmark from an SBOM": upload a Software Bill of Materials, see the
catalogue projects in it and the earmark split it proposes, and use it for a
new pledge or a change of a monthly one."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from contributors import services
from contributors.forms import PledgeAmendForm
from contributors.models import Pledge, User
from contributors.sbom import MAX_SBOM_BYTES, SbomError
from contributors.sbom_pages.forms import (
    SbomUploadForm,
    SplitModeForm,
    earmark_cap_bp,
    proposal_initial,
)
from contributors.selectors import pledges_of
from contributors.selectors_sbom import (
    earmarks_difference,
    sbom_components,
    sbom_match,
    sbom_propose,
    sboms_of,
)
from funds import services as fund_services
from funds.money import euros_input
from librery.numbers import whole_number
from librery.ratelimits import rate_limited
from projects.uploads import upload_too_large

MAX_SBOM_REQUEST_BYTES = MAX_SBOM_BYTES + 64 * 1024
RECENT_SBOMS = 20


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 -- login_required guarantees it
    return request.user


def _pledge_of_request(request: HttpRequest) -> Pledge | None:
    """The user's pledge named by `?pledge=<pk>` (the SBOM then proposes its change)."""
    pk = request.GET.get("pledge", "")
    if not pk:
        return None
    number = whole_number(pk)
    if number is None:
        raise Http404
    return get_object_or_404(pledges_of(_user(request)), pk=number)


@login_required
@rate_limited("pledge")
@require_http_methods(["GET", "POST"])
def sbom_upload(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    pledge = _pledge_of_request(request)
    too_large = upload_too_large(request, MAX_SBOM_REQUEST_BYTES)
    bound = request.method == "POST" and not too_large
    form = SbomUploadForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        user=user,
        contributor=pledge.contributor if pledge is not None else None,
    )
    if bound and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            sbom = services.sbom_upload(
                user=user,
                contributor=form.organisation(),
                raw=upload.read(MAX_SBOM_BYTES + 1),
                filename=str(upload.name or ""),
            )
        except (SbomError, services.ContributionError) as error:
            form.add_error("file", str(error))
        else:
            url = reverse("contributors:sbom_detail", args=[sbom.pk])
            query = f"?{urlencode({'pledge': pledge.pk})}" if pledge is not None else ""
            return redirect(url + query)
    status = 413 if too_large else 400 if form.errors else 200
    return render(
        request,
        "contributors/sbom_upload.html",
        {
            "form": form,
            "too_large": too_large,
            "pledge": pledge,
            "sboms": sboms_of(user)[:RECENT_SBOMS],
        },
        status=status,
    )


@login_required
@require_GET
def sbom_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    sbom = get_object_or_404(sboms_of(user), pk=pk)
    pledge = _pledge_of_request(request)
    if pledge is not None and pledge.contributor_id != sbom.contributor_id:
        raise Http404
    mode_form = SplitModeForm(request.GET or None)
    mode = mode_form.chosen()
    components = sbom_components(sbom)
    matches = sbom_match(components)
    proposal = sbom_propose(matches.matched, mode=mode, budget_bp=earmark_cap_bp())
    changing = pledge is not None and pledge.is_open_monthly
    if changing:
        use_url = reverse("contributors:pledge_sbom_change", args=[pledge.pk, sbom.pk])  # type: ignore[union-attr]
        use_url += f"?{urlencode({'mode': mode.value})}"
    else:
        use_url = reverse("contributors:pledge_new")
        use_url += f"?{urlencode({'sbom': sbom.pk, 'mode': mode.value})}"
    return render(
        request,
        "contributors/sbom_detail.html",
        {
            "sbom": sbom,
            "pledge": pledge,
            "mode_form": mode_form,
            "mode": mode,
            "components": components,
            "direct_count": sum(c.direct for c in components),
            "matches": matches,
            "proposal": proposal,
            "proposed_bp": sum(e.share_bp for e in proposal),
            "difference": earmarks_difference(pledge=pledge, proposed=proposal)
            if pledge is not None
            else None,
            "newer": pledge is not None and pledge.sbom_id not in {None, sbom.pk},
            "use_url": use_url,
            "changing": changing,
        },
    )


@login_required
@require_GET
def sbom_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The uploaded file as it was, for those who may see it."""
    sbom = get_object_or_404(sboms_of(_user(request)).defer(None), pk=pk)
    response = HttpResponse(bytes(sbom.content), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="sbom-{sbom.pk}.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def pledge_sbom_change(request: HttpRequest, pk: int, sbom_pk: int) -> HttpResponse:
    """The change form of a monthly pledge with the earmarks an SBOM proposes."""
    user = _user(request)
    pledge = get_object_or_404(pledges_of(user), pk=pk)
    sbom = get_object_or_404(sboms_of(user).filter(contributor=pledge.contributor), pk=sbom_pk)
    mode = SplitModeForm(request.GET).chosen()
    proposal = sbom_propose(
        sbom_match(sbom_components(sbom)).matched, mode=mode, budget_bp=earmark_cap_bp()
    )
    if request.method == "POST":
        form = PledgeAmendForm(request.POST)
        if form.is_valid():
            try:
                fund_services.pledge_amend(
                    pledge=pledge,
                    actor=user,
                    amount_cents=form.cleaned_data["amount"],
                    earmarks=form.cleaned_data["earmarks"],
                    sbom=sbom,
                )
            except services.ContributionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Your pledge is changed for the next payments."))
                return redirect("contributors:pledge_detail", pk=pledge.pk)
    else:
        form = PledgeAmendForm(
            initial={"amount": euros_input(pledge.amount_cents), **proposal_initial(proposal)}
        )
    return render(
        request,
        "contributors/sbom_pledge_change.html",
        {
            "pledge": pledge,
            "sbom": sbom,
            "form": form,
            "cap_bp": earmark_cap_bp(),
            "difference": earmarks_difference(pledge=pledge, proposed=proposal),
        },
        status=400 if form.errors else 200,
    )
