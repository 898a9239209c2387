from __future__ import annotations

from django.urls import path, register_converter

from allocation import views
from allocation.enums import MONTH_REGEX


class MonthConverter:
    regex = MONTH_REGEX

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(MonthConverter, "month")

app_name = "allocation"
urlpatterns = [
    path("", views.transparency_page, name="transparency"),
    path("open-data/", views.open_data, name="open_data"),
    path("receipts/<int:pk>/", views.receipt_trace, name="receipt"),
    path(
        "statements/<int:pk>/<int:year>-<str:language>.pdf",
        views.contributor_statement,
        name="statement",
    ),
    path("runs/<month:period>/", views.run_detail, name="run"),
    path("runs/<month:period>.json", views.run_json, name="run_json"),
    path("runs/<month:period>.csv", views.run_csv, name="run_csv"),
    path("runs/<month:period>.sha256", views.run_sha256, name="run_sha256"),
]
