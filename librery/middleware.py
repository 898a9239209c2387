"""Project-wide middleware: a structured request log, MFA for staff, the
language of the page and the language a signed-in person reads it in."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.urls import (
    LocalePrefixPattern,
    Resolver404,
    URLResolver,
    get_resolver,
    resolve,
    reverse,
)
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger("librery.request")

# What a staff member without MFA may still reach: setting MFA up, and leaving.
MFA_SETUP_URL_NAMES = (
    "mfa_index",
    "mfa_activate_totp",
    "mfa_reauthenticate",
    "mfa_generate_recovery_codes",
    "mfa_view_recovery_codes",
    "mfa_download_recovery_codes",
    "account_logout",
    "account_reauthenticate",
    "set_language",
    "healthz",
)


# Paths outside i18n_patterns whose language comes from the request's
# Accept-Language header (pages carry theirs in the URL).
NEGOTIATED_LANGUAGE_PREFIXES = ("/api/",)


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's, except that the API negotiates its language: with
    prefix_default_language=False every unprefixed path would be French."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path_info.startswith(NEGOTIATED_LANGUAGE_PREFIXES):
            translation.activate(translation.get_language_from_request(request, check_path=False))
            request.LANGUAGE_CODE = translation.get_language()
            return
        super().process_request(request)


def _is_page(request: HttpRequest) -> bool:
    """Whether the request is for a page of `i18n_patterns`, whose URL carries the
    language (the API, the webhooks and `/healthz` do not)."""
    resolver = get_resolver(getattr(request, "urlconf", None))
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver) and isinstance(pattern.pattern, LocalePrefixPattern):
            try:
                pattern.resolve(request.path_info.removeprefix("/"))
            except Resolver404:
                return False
            return True
    return False


class UserLanguageMiddleware:
    """Remember the language a signed-in person reads the site in: the emails sent
    to them are written in it. The language switcher is a plain link to the page
    in the other language, so reading a page in it is the choice. One conditional
    UPDATE when the language changes; nothing otherwise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, *args: Any) -> None:
        if request.path_info.startswith(NEGOTIATED_LANGUAGE_PREFIXES):
            return
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        language = getattr(request, "LANGUAGE_CODE", "")
        known = getattr(user, "language", None)
        if known is None or language not in dict(settings.LANGUAGES):
            return
        if language == (known or settings.LANGUAGE_CODE) or not _is_page(request):
            return
        users = get_user_model().objects
        users.filter(pk=user.pk).exclude(language=language).update(language=language)
        user.language = language


class RequestLogMiddleware:
    """One JSON log line a request: method, path, status, duration, user id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        logger.info(
            "http.request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response


class StaffMFARequiredMiddleware:
    """Staff (administrators) must have TOTP set up before they can do anything
    else: every other page sends them to the MFA set-up page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @staticmethod
    def is_allowed(request: HttpRequest) -> bool:
        """Whether the request is for a page of MFA set-up (or leaving), whatever
        the language of its URL: the path is resolved, never compared with paths
        reversed in the language some earlier request happened to use."""
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return False
        return match.view_name in MFA_SETUP_URL_NAMES

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_staff
            and not request.path.startswith("/static/")
            and not self.is_allowed(request)
        ):
            from allauth.mfa.utils import is_mfa_enabled  # noqa: PLC0415 -- needs apps ready

            if not is_mfa_enabled(user, types=["totp"]):
                messages.warning(
                    request,
                    _(
                        "Administrators must protect their account with two-factor "
                        "authentication before going further."
                    ),
                )
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
