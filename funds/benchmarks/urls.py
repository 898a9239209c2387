"""The benchmark's URLconf: Stripe's webhook and a hello-world POST beside it,
served through the project's middleware by the same client."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from funds.stripe.views import webhook


@csrf_exempt
@require_POST
def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b'{"hello": "world"}', content_type="application/json")


urlpatterns = [
    path("hello/", hello),
    path("webhooks/stripe/", webhook),
]
