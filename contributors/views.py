from __future__ import annotations

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from allocation.selectors_statement import statement_years
from contributors import services
from contributors.enums import PUBLIC_BODY_KINDS, InvitationStatus, MembershipRole
from contributors.forms import (
    CommitmentForm,
    DisplayNameForm,
    InvitationForm,
    OrganisationForm,
    PledgeAmendForm,
    PledgeForm,
)
from contributors.models import Pledge, User
from contributors.sbom_pages.forms import proposing_sbom
from contributors.selectors import (
    commitments_of,
    contributors_of,
    organisations_of,
    pledge_split,
    pledges_of,
)
from funds import services as fund_services
from funds.money import bp_input, euros_input
from funds.selectors import fund_settings_at, payment_requests_of, payments_of, receipts_of
from funds.services import pledges as fund_pledges
from governance.permissions import can_enter_portal
from librery.ratelimits import rate_limited
from projects.models import Project


@require_GET
def contribute(request: HttpRequest) -> HttpResponse:
    return render(request, "contributors/contribute.html")


def _my_account(
    request: HttpRequest, name_form: DisplayNameForm, *, status: int = 200
) -> HttpResponse:
    user = request.user
    return render(
        request,
        "contributors/my_account.html",
        {
            "contributors": contributors_of(user),  # type: ignore[arg-type]
            "mfa_enabled": is_mfa_enabled(user, types=["totp"]),
            "maintainerships": user.maintainerships.select_related("project"),  # type: ignore[union-attr]
            "can_enter_portal": can_enter_portal(user),
            "name_form": name_form,
        },
        status=status,
    )


@login_required
@require_GET
def my_account(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return _my_account(request, DisplayNameForm(initial={"display_name": user.display_name}))


@login_required
@require_POST
def display_name(request: HttpRequest) -> HttpResponse:
    """The name shown publicly; the person contributor's name follows it."""
    form = DisplayNameForm(request.POST)
    if form.is_valid():
        try:
            services.user_set_display_name(
                user=_user(request), display_name=form.cleaned_data["display_name"]
            )
        except services.ContributionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your public name is saved."))
            return redirect("contributors:my_account")
    return _my_account(request, form, status=400)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 -- login_required guarantees it
    return request.user


@login_required
@rate_limited("pledge")
@require_http_methods(["GET", "POST"])
def pledge_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    commitment = None
    commitment_id = request.GET.get("commitment") or request.POST.get("commitment")
    if commitment_id:
        commitment = commitments_of(user).filter(pk=str(commitment_id)).first()
        if commitment is None:
            raise Http404
    initial = {}
    if commitment is not None:
        initial = {
            "commitment": commitment.pk,
            "pay_as": str(commitment.contributor_id),
            "frequency": "one_time",
            "payment_method": "bank_transfer",
            "amount": euros_input(commitment.commitment_cents),
        }
    settings_now = fund_settings_at(at=timezone.now())
    earmarked = _earmarked_project(request)
    if earmarked is not None:
        # "Support this project": that project earmarked with the whole cap.
        initial.update(
            {"project_1": earmarked.pk, "share_1": bp_input(settings_now["earmark_cap_bp"])}
        )
    # "Earmark from an SBOM": its proposal, and the link the pledge keeps to it.
    sbom, sbom_initial = proposing_sbom(request, user)
    initial.update(sbom_initial)
    form = PledgeForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pledge = fund_services.pledge_submit(
                user=user,
                organisation=form.organisation(),
                visibility=data["visibility"],
                frequency=data["frequency"],
                amount_cents=data["amount"],
                payment_method=data["payment_method"],
                earmarks=data["earmarks"],
                idempotency_token=data["token"],
                commitment=commitment,
                sbom=sbom,
            )
        except services.ContributionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Thank you: your pledge is recorded."))
            if settings.USE_STRIPE and pledge.is_payable_online:
                # Straight to paying it: the pledge page would only say "Pay now".
                return redirect("funds:stripe_pay", pk=pledge.pk)
            return redirect("contributors:pledge_detail", pk=pledge.pk)
    return render(
        request,
        "contributors/pledge_form.html",
        {
            "form": form,
            "commitment": commitment,
            "cap_bp": settings_now["earmark_cap_bp"],
            "earmarked": earmarked,
        },
    )


def _earmarked_project(request: HttpRequest) -> Project | None:
    """The fundable project named by `?project=<slug>` (the project page's
    "Support this project"), if any."""
    slug = request.GET.get("project", "")
    if not slug or request.method != "GET":
        return None
    return Project.objects.fundable().filter(slug=slug[:200]).first()


PAYMENTS_PER_PAGE = 20
RECEIPTS_PER_PAGE = 20


@login_required
@require_GET
def my_contributions(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "contributors/my_contributions.html",
        {
            "pledges": pledges_of(user),
            # Each list grows by one a month with a monthly pledge: paged on its
            # own parameter, a bad number giving the first (or last) page as the
            # transparency page does.
            "payments": Paginator(payments_of(user), PAYMENTS_PER_PAGE).get_page(
                request.GET.get("payments")
            ),
            # The month of the run that took each receipt (None: waiting for it).
            "receipts": Paginator(
                receipts_of(user).annotate(allocated_month=F("allocation__run__period_start_at")),
                RECEIPTS_PER_PAGE,
            ).get_page(request.GET.get("receipts")),
            "payment_requests": payment_requests_of(user),
            "commitments": commitments_of(user),
            "organisations": organisations_of(user),
            "statements": statement_years(contributors=contributors_of(user)),
        },
    )


def _own_pledge(request: HttpRequest, pk: int) -> Pledge:
    return get_object_or_404(pledges_of(_user(request)), pk=pk)


def _amend_initial(pledge: Pledge) -> dict[str, object]:
    """The amend form starts from the pledge as it stands (amount and earmarks)."""
    initial: dict[str, object] = {"amount": euros_input(pledge.amount_cents)}
    for row, earmark in enumerate(pledge.earmarks.all(), start=1):
        initial[f"project_{row}"] = earmark.project_id
        initial[f"share_{row}"] = bp_input(earmark.share_bp)
    return initial


def _pledge_context(pledge: Pledge, amend_form: PledgeAmendForm) -> dict[str, object]:
    return {
        "pledge": pledge,
        "changes": pledge.changes.select_related("actor").order_by("-at", "-id"),
        "amend_form": amend_form,
        "cap_bp": fund_settings_at(at=timezone.now())["earmark_cap_bp"],
        "split": pledge_split(pledge),
        "payment_requests": pledge.payment_requests.order_by("-issued_at", "-id"),
        "fund_name": settings.FUND_NAME,
        "fund_iban": settings.FUND_IBAN,
        "fund_bic": settings.FUND_BIC,
    }


@login_required
@require_GET
def pledge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = _own_pledge(request, pk)
    return render(
        request,
        "contributors/pledge_detail.html",
        _pledge_context(
            pledge,
            PledgeAmendForm(initial=_amend_initial(pledge)),
        ),
    )


PLEDGE_ACTIONS = {
    "pause": services.pledge_pause,
    "resume": services.pledge_resume,
    "cancel": fund_pledges.pledge_cancel,
}


@login_required
@require_POST
def pledge_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    pledge = _own_pledge(request, pk)
    service = PLEDGE_ACTIONS.get(action)
    if service is None:
        raise Http404
    if action == "cancel" and request.POST.get("confirm") != "yes":
        # Cancelling cannot be undone: ask first, with what it changes.
        return render(request, "contributors/pledge_cancel.html", {"pledge": pledge})
    try:
        service(pledge=pledge, actor=_user(request))
    except services.ContributionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your pledge is updated."))
    return redirect("contributors:pledge_detail", pk=pledge.pk)


@login_required
@require_POST
def pledge_amend(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = _own_pledge(request, pk)
    form = PledgeAmendForm(request.POST)
    if form.is_valid():
        try:
            fund_services.pledge_amend(
                pledge=pledge,
                actor=_user(request),
                amount_cents=form.cleaned_data["amount"],
                earmarks=form.cleaned_data["earmarks"],
            )
        except services.ContributionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your pledge is changed for the next payments."))
            return redirect("contributors:pledge_detail", pk=pledge.pk)
    return render(
        request,
        "contributors/pledge_detail.html",
        _pledge_context(pledge, form),
        status=400,
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_new(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_create(user=_user(request), **form.cleaned_data)
        except services.ContributionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your organisation is recorded."))
            return redirect("contributors:my_contributions")
    return render(request, "contributors/organisation_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def commitment_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = CommitmentForm(request.POST or None, user=user)
    form.fields["organisation"].choices = [  # type: ignore[attr-defined]
        (pk, o.name)
        for pk, o in form.organisations.items()
        if o.organisation_kind in PUBLIC_BODY_KINDS
    ]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            commitment = services.commitment_create(
                contributor=form.organisations[data["organisation"]],
                project_name=data["project_name"],
                year=data["year"],
                budget_cents=data["budget"],
                actor=user,
            )
        except services.ContributionError as error:
            form.add_error(None, str(error))
        else:
            return redirect(f"{reverse('contributors:pledge_new')}?commitment={commitment.pk}")
    return render(request, "contributors/commitment_form.html", {"form": form})


@login_required
@rate_limited("invitation")
@require_http_methods(["GET", "POST"])
def organisation_members(request: HttpRequest, pk: int) -> HttpResponse:
    """The people acting for an organisation; its owners invite others by email.
    The answer is the same whether the address has an account or not."""
    user = _user(request)
    organisation = get_object_or_404(organisations_of(user), pk=pk)
    memberships = organisation.memberships.select_related("user").order_by("role", "id")
    is_owner = any(m.user_id == user.pk and m.role == MembershipRole.OWNER for m in memberships)
    form = InvitationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not is_owner:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.invitation_create(
                    contributor=organisation,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    actor=user,
                    now=timezone.now(),
                )
            except services.ContributionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _(
                        "If this address can receive email, an invitation was sent to it: "
                        "the person acts for the organisation once they accept it."
                    ),
                )
                return redirect("contributors:organisation_members", pk=organisation.pk)
        status = 400
    invitations = (
        organisation.invitations.filter(status=InvitationStatus.PENDING).order_by("-created_at")
        if is_owner
        else organisation.invitations.none()
    )
    return render(
        request,
        "contributors/organisation_members.html",
        {
            "organisation": organisation,
            "memberships": memberships,
            "invitations": invitations,
            "is_owner": is_owner,
            "form": form,
        },
        status=status,
    )


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    user = _user(request)
    organisation = get_object_or_404(organisations_of(user), pk=pk)
    invitation = get_object_or_404(organisation.invitations, pk=invitation_pk)
    try:
        services.invitation_revoke(invitation=invitation, actor=user)
    except services.ContributionError as error:
        raise PermissionDenied(str(error)) from None
    messages.success(request, _("The invitation is revoked."))
    return redirect("contributors:organisation_members", pk=organisation.pk)


@login_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee, signed in with the invited address verified, accepts."""
    invitation = services.invitation_for_token(token)
    if invitation is None:
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            membership = services.invitation_accept(
                token=token, user=_user(request), now=timezone.now()
            )
        except services.ContributionError as refused:
            error = str(refused)
            invitation.refresh_from_db()
        else:
            messages.success(
                request,
                _("You now act for %(name)s.") % {"name": membership.contributor.name},
            )
            return redirect("contributors:my_contributions")
    return render(
        request,
        "contributors/invitation_accept.html",
        {
            "invitation": invitation,
            "error": error,
            "pending": invitation.status == InvitationStatus.PENDING,
        },
        status=400 if error else 200,
    )
