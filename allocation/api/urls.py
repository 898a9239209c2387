"""allocation API: urls."""

from __future__ import annotations

from django.urls import path

from allocation.api import views

urlpatterns = [
    path("runs/", views.AllocationRunListAPIView.as_view(), name="api-allocation-runs"),
]
