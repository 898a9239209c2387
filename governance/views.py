from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from allocation import selectors_projects
from allocation.arithmetic import project as project_destination
from allocation.arithmetic import share_pool
from contributors.models import User
from funds.money import format_percent_bp
from governance import selectors, services
from governance.enums import ROUND_POINTS, BallotEventKind, BallotKind, BallotStatus, CollegeCode
from governance.forms import InterestForm, MotionVoteForm, ProxyForm, parse_points
from governance.models import Ballot, BallotEvent, Meeting, Vote
from governance.permissions import can_enter_portal
from governance.tally import canonical_json, parse_frac
from librery.pagecache import public_cached
from projects.models import Project


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "governance/about.html",
        {
            "can_enter_portal": can_enter_portal(request.user),
            "colleges": selectors.colleges_with_weights(at=timezone.now()),
            "seats": selectors.seats_with_mandates(on=timezone.localdate()),
        },
    )


def _portal_user(request: HttpRequest) -> Any:
    if not can_enter_portal(request.user):
        raise PermissionDenied
    return request.user


@login_required
@require_GET
def portal(request: HttpRequest) -> HttpResponse:
    user = _portal_user(request)
    mandates = (
        selectors.mandates_in_force(on=timezone.localdate())
        .filter(holder=user)
        .select_related("seat__college", "substitute")
    )
    recusals = selectors.recusals_for(user_ids=[user.pk]).get(str(user.pk), [])
    return render(
        request,
        "governance/portal.html",
        {
            "ballots": selectors.portal_ballots(user=user),
            "mandates": mandates,
            "interests": Project.objects.filter(pk__in=recusals).only("name", "slug"),
            "interest_form": InterestForm(),
            "project_names": Project.objects.order_by("name").values_list("name", flat=True),
        },
    )


@login_required
@require_POST
def interest(request: HttpRequest) -> HttpResponse:
    user = _portal_user(request)
    form = InterestForm(request.POST)
    if form.is_valid():
        services.interest_declare(
            user=user,
            project=form.cleaned_data["project"],
            kind=form.cleaned_data["kind"],
            note=form.cleaned_data["note"],
        )
        messages.success(
            request,
            _("Your interest in %(project)s is declared: you are recused from it.")
            % {"project": form.cleaned_data["project"].name},
        )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("governance:portal")


def _ballot_context(
    ballot: Ballot, user: Any, seat_id: int | None = None, typed: dict[str, str] | None = None
) -> dict[str, Any]:
    """The ballot page; `typed` keeps the points a refused form held, to correct them."""
    seats = selectors.seats_for(ballot=ballot, user=user)
    votes = {
        v.seat_id: v
        for v in Vote.objects.filter(ballot=ballot, seat_id__in=[s["seat"] for s in seats])
    }
    for seat in seats:
        seat["vote"] = votes.get(seat["seat"])
    recused_ids = set(ballot.recusals.get(str(user.pk), []))
    context: dict[str, Any] = {
        "ballot": ballot,
        "seats": seats,
        "has_receipt": any(seat["vote"] is not None for seat in seats),
        "is_open": ballot.status == BallotStatus.OPEN and timezone.now() < ballot.closes_at,
        "recused": ballot.effect_project_id is not None and ballot.effect_project_id in recused_ids,
    }
    held = [s for s in seats if s["role"] == "holder"]
    if ballot.status == BallotStatus.OPEN and held:
        holders = [
            e["holder"]
            for e in ballot.electorate
            if e["college"] == held[0]["college"] and e["holder"] != user.pk
        ]
        names = dict(User.objects.filter(pk__in=holders).values_list("pk", "display_name"))
        context["proxy_form"] = ProxyForm(holders=[(h, names.get(h, str(h))) for h in holders])
    if ballot.kind == BallotKind.ROUND:
        chosen = [s for s in seats if s["seat"] == seat_id]
        candidates = chosen or held or seats
        own = candidates[0] if candidates else None
        initial: Mapping[str, int | str] = {}
        from_previous = False
        if typed is not None:
            initial = typed
        elif own is not None and own.get("vote") is not None:
            initial = dict(own["vote"].points)
        elif own is not None and own["role"] == "holder":
            initial = selectors.previous_round_points(user=user, before=ballot)
            from_previous = bool(initial)
        college = own["college"] if own else None
        members = sum(1 for e in ballot.electorate if e["college"] == college)
        weight = ballot.frozen_settings.get("weights", {}).get(college, 0)
        recused_round = set(recused_ids)
        if own is not None:
            recused_round |= set(ballot.recusals.get(str(own["holder"]), []))
        projects = [
            {
                "id": p.pk,
                "name": p.name,
                "summary": p.summary,
                "points": initial.get(str(p.pk), ""),
                "recused": p.pk in recused_round,
            }
            for p in Project.objects.fundable().only("id", "name", "summary").order_by("name", "id")
        ]
        context.update(
            {
                "projects": projects,
                "from_previous": from_previous,
                "pool_cents": selectors.current_pool_cents(),
                "college_weight": weight,
                "college_members": members,
                "round_seat": own,
                "round_points": ROUND_POINTS,
            }
        )
    return context


@login_required
@require_http_methods(["GET", "POST"])
def ballot(request: HttpRequest, pk: int) -> HttpResponse:
    user = _portal_user(request)
    item = get_object_or_404(Ballot.objects.exclude(status=BallotStatus.DRAFT), pk=pk)
    form = MotionVoteForm(request.POST or None)
    if request.method == "POST":
        seat = request.POST.get("seat") or None
        # When each of the voter's seats last voted, to say what a new vote replaces.
        earlier = dict(Vote.objects.filter(ballot=item).values_list("seat_id", "cast_at"))
        try:
            seat_id = int(seat) if seat else None
            if item.kind == BallotKind.MOTION:
                choice = form.cleaned_data["choice"] if form.is_valid() else ""
                vote = services.vote_cast(
                    ballot=item, voter=user, at=timezone.now(), seat_id=seat_id, choice=choice
                )
            else:
                points, error = parse_points(request.POST)
                vote = services.vote_cast(
                    ballot=item,
                    voter=user,
                    at=timezone.now(),
                    seat_id=seat_id,
                    points=points,
                    points_error=error,
                )
        except (services.GovernanceError, ValueError) as exc:
            typed = {
                key[2:]: str(value).strip()[:12]
                for key, value in request.POST.items()
                if key.startswith("p_")
            }
            context = _ballot_context(item, user, seat_id=_int_or_none(seat), typed=typed)
            context["form"] = form
            if item.kind == BallotKind.ROUND and context["is_open"] and context.get("round_seat"):
                context["vote_error"] = str(exc)  # shown in the form, by what was typed
            else:
                messages.error(request, str(exc))
            return render(request, _ballot_template(item), context, status=400)
        previous = earlier.get(vote.seat_id)
        if vote.version > 1 and previous is not None:
            messages.success(
                request,
                _(
                    "Your vote is recorded and replaces the one cast at %(time)s: "
                    "its new receipt is below and sent to you by email."
                )
                % {"time": date_format(timezone.localtime(previous), "DATETIME_FORMAT")},
            )
        else:
            messages.success(
                request,
                _("Your vote is recorded: its receipt is below and sent to you by email."),
            )
        return redirect("governance:ballot", pk=item.pk)
    context = _ballot_context(item, user, seat_id=_int_or_none(request.GET.get("seat")))
    context["form"] = MotionVoteForm()
    return render(request, _ballot_template(item), context)


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def _ballot_template(item: Ballot) -> str:
    return "governance/round.html" if item.kind == BallotKind.ROUND else "governance/motion.html"


@login_required
@require_POST
def proxy(request: HttpRequest, pk: int) -> HttpResponse:
    user = _portal_user(request)
    item = get_object_or_404(Ballot, pk=pk, status=BallotStatus.OPEN)
    try:
        holder = User.objects.get(pk=int(request.POST.get("holder", "")))
        services.proxy_give(ballot=item, giver=user, holder=holder, at=timezone.now())
    except services.GovernanceError as exc:
        messages.error(request, str(exc))
    except (ValueError, User.DoesNotExist):
        messages.error(request, _("Choose a seat holder of your college."))
    else:
        messages.success(request, _("Your proxy is recorded."))
    return redirect("governance:ballot", pk=item.pk)


REGISTER_PAGE_SIZE = 50


@public_cached
@require_GET
def register(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.released_decisions(), REGISTER_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "governance/register.html",
        {"page": page, "decisions": page.object_list, "pending": selectors.ballots_in_progress()},
    )


def _released(pk: int) -> Ballot:
    item = (
        Ballot.objects.filter(pk=pk, status=BallotStatus.RELEASED)
        .select_related("effect_project")
        .first()
    )
    if item is None:
        raise Http404
    return item


@require_GET
def decision(request: HttpRequest, pk: int) -> HttpResponse:
    item = _released(pk)
    names = dict(
        User.objects.filter(
            pk__in={v["member"] for v in item.bundle.get("votes", [])}
            | {v["cast_by"] for v in item.bundle.get("votes", [])}
        ).values_list("pk", "display_name")
    )
    raw = item.result.get("shares", {}) if item.kind == BallotKind.ROUND else {}
    voted = {int(p) for v in item.bundle.get("votes", []) for p in (v.get("points") or {})}
    titles = (
        dict(Project.objects.filter(pk__in=voted | {int(p) for p in raw}).values_list("pk", "name"))
        if voted or raw
        else {}
    )
    votes = [
        {
            **v,
            "member_name": names.get(v["member"], ""),
            "cast_by_name": names.get(v["cast_by"], ""),
            # A round's points by project name (the bundle keeps the ids).
            "named_points": [
                (titles.get(int(p), f"#{p}"), n) for p, n in (v.get("points") or {}).items()
            ],
        }
        for v in item.bundle.get("votes", [])
    ]
    received = (
        selectors_projects.round_received(ballot_id=item.pk)
        if item.kind == BallotKind.ROUND
        else None
    )
    # Before any run used the round, its euros are an estimate at today's pool;
    # once one did, they are those the runs booked (`received`) and no estimate.
    pool_cents = selectors.current_pool_cents() if received and not received.runs else None
    shares: list[dict[str, Any]] = []
    if item.kind == BallotKind.ROUND:
        # At today's pool, shared as the monthly allocation shares it: exact
        # fractions rounded by largest remainder, so the cents add up to the pool.
        preview = (
            share_pool(
                pool_cents=pool_cents, fractions={int(p): parse_frac(f) for p, f in raw.items()}
            ).amounts
            if pool_cents is not None
            else {}
        )
        shares = [
            {
                "project": titles.get(int(p), p),
                "fraction": f,
                "percent": _percent(f),
                "cents": preview.get(project_destination(int(p)), 0),
            }
            for p, f in raw.items()
        ]
    colleges = [
        {
            "code": code,
            "label": CollegeCode(code).label if code in CollegeCode.values else code,
            **row,
            "weight": item.frozen_settings.get("weights", {}).get(code),
        }
        for code, row in sorted(
            item.result.get("colleges", {}).items(), key=lambda pair: _college_order(pair[0])
        )
    ]
    return render(
        request,
        "governance/decision.html",
        {
            "decision": item,
            "votes": votes,
            "shares": shares,
            "colleges": colleges,
            "pool_cents": pool_cents if shares else None,
            "received": received,
        },
    )


def _college_order(code: str) -> int:
    return CollegeCode.values.index(code) if code in CollegeCode.values else len(CollegeCode.values)


@require_GET
def meetings(request: HttpRequest) -> HttpResponse:
    items = Meeting.objects.order_by("-held_on_date", "-id")
    return render(request, "governance/meetings.html", {"meetings": items})


@require_GET
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Meeting, pk=pk)
    decisions = list(
        item.ballots.filter(status=BallotStatus.RELEASED).order_by("released_at", "id")
    )
    recusals = BallotEvent.objects.filter(
        ballot__in=decisions, kind=BallotEventKind.RECUSAL
    ).select_related("ballot")
    names = dict(
        User.objects.filter(pk__in=[e.data.get("user") for e in recusals]).values_list(
            "pk", "display_name"
        )
    )
    return render(
        request,
        "governance/meeting.html",
        {
            "meeting": item,
            "attendees": item.attendees.order_by("display_name"),
            "decisions": decisions,
            "recusals": [
                {"ballot": e.ballot, "name": names.get(e.data.get("user"), "")} for e in recusals
            ],
        },
    )


def _percent(fraction: str) -> str:
    """An exact fraction as a percentage with two decimals, floored, in the
    reader's number format ("10.20 %" in English, "10,20 %" in French, with a
    no-break space before the sign)."""
    numerator, _sep, denominator = fraction.partition("/")
    hundredths = int(numerator) * 10000 // int(denominator or "1")
    return format_percent_bp(hundredths, decimals=2)


@require_GET
def bundle(request: HttpRequest, pk: int) -> HttpResponse:
    item = _released(pk)
    response = JsonResponse(item.bundle, safe=False)
    response.content = canonical_json(item.bundle).encode()
    response["Content-Disposition"] = f'attachment; filename="ballot-{item.pk}-bundle.json"'
    return response


@require_GET
def bundle_sha256(request: HttpRequest, pk: int) -> HttpResponse:
    """The bundle's hash as `sha256sum` prints it (check with `sha256sum -c`)."""
    item = _released(pk)
    return HttpResponse(
        f"{item.bundle_hash}  ballot-{item.pk}-bundle.json\n",
        content_type="text/plain; charset=utf-8",
    )
