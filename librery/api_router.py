"""The REST API's root: each app adds its routes here."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("projects/", include("projects.api.urls")),
    path("contributors/", include("contributors.api.urls")),
    path("", include("contributors.api.sbom_urls")),
    path("funds/", include("funds.api.urls")),
    path("governance/", include("governance.api.urls")),
    path("allocation/", include("allocation.api.urls")),
]
