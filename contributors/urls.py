from __future__ import annotations

from django.urls import path

from contributors import views

app_name = "contributors"
urlpatterns = [
    path("", views.contribute, name="contribute"),
    path("me/", views.my_account, name="my_account"),
]
