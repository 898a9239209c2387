"""contributors API: the SBOM matches, at the API's root (`/api/v1/sbom-matches/`)."""

from __future__ import annotations

from django.urls import path

from contributors.api.sbom import SbomMatchAPIView

urlpatterns = [path("sbom-matches/", SbomMatchAPIView.as_view(), name="sbom-matches")]
