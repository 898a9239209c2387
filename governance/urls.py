from __future__ import annotations

from django.urls import path

from governance import views

app_name = "governance"
urlpatterns = [
    path("", views.about, name="about"),
    path("portal/", views.portal, name="portal"),
    path("portal/interests/", views.interest, name="interest"),
    path("portal/ballots/<int:pk>/", views.ballot, name="ballot"),
    path("portal/ballots/<int:pk>/proxy/", views.proxy, name="proxy"),
    path("register/", views.register, name="register"),
    path("register/<int:pk>/", views.decision, name="decision"),
    path("register/<int:pk>/bundle.json", views.bundle, name="bundle"),
    path("register/<int:pk>/bundle.sha256", views.bundle_sha256, name="bundle_sha256"),
    path("meetings/", views.meetings, name="meetings"),
    path("meetings/<int:pk>/", views.meeting, name="meeting"),
]
