from __future__ import annotations

from django.urls import path

from contributors import views
from contributors.sbom_pages import views as views_sbom

app_name = "contributors"
urlpatterns = [
    path("", views.contribute, name="contribute"),
    path("me/", views.my_account, name="my_account"),
    path("me/name/", views.display_name, name="display_name"),
    path("pledge/", views.pledge_new, name="pledge_new"),
    path("mine/", views.my_contributions, name="my_contributions"),
    path("pledges/<int:pk>/", views.pledge_detail, name="pledge_detail"),
    path("pledges/<int:pk>/change/", views.pledge_amend, name="pledge_amend"),
    path("pledges/<int:pk>/<slug:action>/", views.pledge_action, name="pledge_action"),
    path("organisations/new/", views.organisation_new, name="organisation_new"),
    path("commitments/new/", views.commitment_new, name="commitment_new"),
    path(
        "organisations/<int:pk>/members/",
        views.organisation_members,
        name="organisation_members",
    ),
    path(
        "organisations/<int:pk>/invitations/<int:invitation_pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("sbom/", views_sbom.sbom_upload, name="sbom_upload"),
    path("sbom/<int:pk>/", views_sbom.sbom_detail, name="sbom_detail"),
    path("sbom/<int:pk>/file/", views_sbom.sbom_file, name="sbom_file"),
    path(
        "pledges/<int:pk>/sbom/<int:sbom_pk>/",
        views_sbom.pledge_sbom_change,
        name="pledge_sbom_change",
    ),
]
