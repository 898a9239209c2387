from __future__ import annotations

from django.urls import path

from projects import views

app_name = "projects"
urlpatterns = [
    path("", views.project_index, name="list"),
    path("mine/", views.my_projects, name="mine"),
    path("manifest/", views.manifest_submit, name="manifest"),
    path("manifest/fetches/<int:pk>/", views.manifest_fetch, name="manifest_fetch"),
    path("<slug:slug>/", views.project_detail, name="detail"),
    path("<slug:slug>/funding.json", views.project_funding_json, name="funding_json"),
    path("<slug:slug>/edit/", views.project_edit, name="edit"),
    path("<slug:slug>/claim/", views.project_claim, name="claim"),
    path("<slug:slug>/claim/review/", views.project_claim_review, name="claim_review"),
    path("<slug:slug>/claim/fetches/<int:pk>/", views.claim_fetch, name="claim_fetch"),
    path("<slug:slug>/payout-account/", views.payout_account_edit, name="payout_account"),
]
