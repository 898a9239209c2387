"""The admin site's names that third-party apps leave untranslated."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _

_get_app_list = admin.site.get_app_list


def get_app_list(request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
    """The admin index's apps, with allauth's "MFA" and "Authenticators" in the
    reader's language (allauth marks neither for translation in French)."""
    apps = _get_app_list(request, app_label)
    names = {
        "mfa": (_("Two-factor authentication"), {"Authenticator": _("Authenticators")}),
    }
    for app in apps:
        if app["app_label"] in names:
            app_name, models = names[app["app_label"]]
            app["name"] = app_name
            for model in app["models"]:
                model["name"] = models.get(model["object_name"], model["name"])
    return apps


def install() -> None:
    admin.site.get_app_list = get_app_list  # type: ignore[method-assign]
