"""funds: URLs (the contributions issue adds pledges, payments and webhooks)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "funds"
urlpatterns: list[URLPattern | URLResolver] = []
