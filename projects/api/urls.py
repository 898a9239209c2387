from __future__ import annotations

from django.urls import path

from projects.api import views

urlpatterns = [
    path("", views.ProjectListAPIView.as_view(), name="api-project-list"),
    path("<slug:slug>/", views.ProjectDetailAPIView.as_view(), name="api-project-detail"),
]
