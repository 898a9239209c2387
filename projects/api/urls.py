from __future__ import annotations

from django.urls import path

from projects.api import views

urlpatterns = [
    path("", views.ProjectListAPIView.as_view(), name="api-project-list"),
    path("manifests/", views.ManifestImportAPIView.as_view(), name="api-project-manifests"),
    path("mine/", views.MaintainedProjectListAPIView.as_view(), name="api-project-mine"),
    path("<slug:slug>/", views.ProjectDetailAPIView.as_view(), name="api-project-detail"),
]
