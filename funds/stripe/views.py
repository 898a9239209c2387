"""Stripe views: the payment page of a pledge (the only pages whose Content
Security Policy lets Stripe.js in), its two JSON steps, and the webhook."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contributors.models import Pledge
from contributors.selectors import pledge_split, pledges_of
from funds.enums import PaymentEventSource, PaymentStatus
from funds.money import euros_input
from funds.permissions import staff_only
from funds.selectors import payments_of
from funds.services import PaymentError
from funds.stripe.client import EventFormatError, GatewayError, SignatureError, js_url
from funds.stripe.forms import RefundForm
from funds.stripe.refunds import payment_refund
from funds.stripe.selectors import refundable_stripe_payments
from funds.stripe.services import (
    StripePaymentError,
    payment_sync,
    stripe_checkout_complete,
    stripe_checkout_start,
)
from funds.stripe.webhooks import webhook_receive

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]


def stripe_js_origin() -> str:
    parts = urlsplit(js_url())
    return f"{parts.scheme}://{parts.netloc}"


STRIPE_JS_ORIGIN = "https://js.stripe.com"


def stripe_csp() -> dict[str, list[str]]:
    """What Stripe.js needs: its script, its API, its frames (Stripe's
    security guide), or the one origin of localstripe in tests."""
    origin = stripe_js_origin()
    if origin == STRIPE_JS_ORIGIN:
        return {
            "script-src": [STRIPE_JS_ORIGIN],
            "connect-src": ["https://api.stripe.com"],
            "frame-src": [STRIPE_JS_ORIGIN, "https://hooks.stripe.com"],
        }
    return {"script-src": [origin], "connect-src": [origin], "frame-src": [origin]}


def with_stripe_csp(view: View) -> View:
    """Allow Stripe.js on this view only (django-csp's per-view `csp_update`)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return csp_update(stripe_csp())(view)(request, *args, **kwargs)  # type: ignore[return-value]

    return wrapped


def _own_pledge(request: HttpRequest, pk: int) -> Pledge:
    return get_object_or_404(pledges_of(request.user), pk=pk)  # type: ignore[arg-type]


@login_required
@require_GET
@with_stripe_csp
def pay(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = _own_pledge(request, pk)
    if not settings.USE_STRIPE:
        raise Http404
    try:
        start = stripe_checkout_start(pledge=pledge, email=getattr(request.user, "email", ""))
    except StripePaymentError as error:
        return render(
            request, "funds/stripe_pay.html", {"pledge": pledge, "error": str(error)}, status=409
        )
    except GatewayError:
        logger.exception("stripe unavailable", extra={"pledge": pledge.pk})
        return render(
            request,
            "funds/stripe_pay.html",
            {"pledge": pledge, "error": _("Payments are unavailable for a moment; try again.")},
            status=503,
        )
    return render(
        request,
        "funds/stripe_pay.html",
        {
            "pledge": pledge,
            "split": pledge_split(pledge),
            "start": start,
            "stripe_js_url": js_url(),
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "complete_url": reverse("funds:stripe_complete", args=[pledge.pk]),
            "done_url": reverse("contributors:my_contributions"),
        },
    )


def _json_error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _payment_json(payment: Any, secret: str = "") -> JsonResponse:
    return JsonResponse(
        {
            "payment": payment.pk,
            "status": payment.status,
            "action_client_secret": secret,
            "sync_url": reverse("funds:stripe_sync", args=[payment.pk]),
            "message": payment.failure_message if payment.status == PaymentStatus.FAILED else "",
        }
    )


@login_required
@require_POST
def complete(request: HttpRequest, pk: int) -> JsonResponse:
    pledge = _own_pledge(request, pk)
    setup_intent_id = str(request.POST.get("setup_intent", ""))
    if not setup_intent_id.startswith("seti_"):
        return _json_error(_("Your payment details were not confirmed; please try again."))
    try:
        result = stripe_checkout_complete(pledge=pledge, setup_intent_id=setup_intent_id)
    except StripePaymentError as error:
        return _json_error(str(error), status=409)
    except GatewayError:
        logger.exception("stripe unavailable", extra={"pledge": pledge.pk})
        return _json_error(_("Payments are unavailable for a moment; try again."), status=503)
    return _payment_json(result.payment, result.action_client_secret)


@login_required
@require_POST
def sync(request: HttpRequest, pk: int) -> JsonResponse:
    payment = get_object_or_404(payments_of(request.user), pk=pk)
    try:
        payment = payment_sync(payment=payment, source=PaymentEventSource.STRIPE_SYNC)
    except GatewayError:
        return _json_error(_("Payments are unavailable for a moment; try again."), status=503)
    return _payment_json(payment)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's webhook: 400 for anything not signed by Stripe for our mode
    or not an event we can store (the reason in the body, for Stripe's
    delivery log), 200 once the event is stored (or was already); its effects
    follow in a task, so nothing here waits for Stripe."""
    if not settings.USE_STRIPE:
        raise Http404
    try:
        created = webhook_receive(
            payload=request.body,
            signature_header=request.headers.get("Stripe-Signature", ""),
        )
    except SignatureError as error:
        return HttpResponseBadRequest(f"invalid signature: {error}", content_type="text/plain")
    except EventFormatError as error:
        return HttpResponseBadRequest(f"malformed event: {error}", content_type="text/plain")
    return HttpResponse(
        json.dumps({"received": True, "new": created}), content_type="application/json"
    )


@staff_only
@require_GET
def refundable(request: HttpRequest) -> HttpResponse:
    """Administrators: the latest Stripe payments, each with its refund form."""
    return render(
        request, "funds/stripe_payments.html", {"payments": refundable_stripe_payments()[:50]}
    )


@staff_only
@require_http_methods(["GET", "POST"])
def refund(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(refundable_stripe_payments(), pk=pk)
    form = RefundForm(request.POST or None, initial={"amount": euros_input(payment.amount_cents)})
    if request.method == "POST" and form.is_valid():
        try:
            payment_refund(
                payment=payment,
                amount_cents=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except (StripePaymentError, PaymentError) as error:
            form.add_error("amount", str(error))
        except GatewayError:
            form.add_error(None, _("Payments are unavailable for a moment; try again."))
        else:
            messages.success(request, _("The refund is recorded."))
            return redirect("funds:statements")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "funds/stripe_refund.html", {"payment": payment, "form": form}, status=status
    )
