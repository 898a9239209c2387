from __future__ import annotations

from django.urls import path

from allocation import views

app_name = "allocation"
urlpatterns = [path("", views.transparency, name="transparency")]
