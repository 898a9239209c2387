"""contributors API: urls."""

from __future__ import annotations

from django.urls import path

from contributors.api import views

app_name = "contributors-api"
urlpatterns = [
    path("pledges/", views.PledgeListAPIView.as_view(), name="pledge-list"),
    path("pledges/<int:pk>/", views.PledgeDetailAPIView.as_view(), name="pledge-detail"),
]
