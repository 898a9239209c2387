"""allocation API: urls."""

from __future__ import annotations

from django.urls import path

from allocation.api import views
from allocation.urls import MonthConverter  # noqa: F401 -- registers the "month" converter

urlpatterns = [
    path("runs/", views.AllocationRunListAPIView.as_view(), name="api-allocation-runs"),
    path(
        "runs/<month:period>/batch/",
        views.PayoutBatchCreateAPIView.as_view(),
        name="api-allocation-batch",
    ),
]
