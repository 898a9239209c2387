from __future__ import annotations

from django.urls import path

from allocation.staff import views
from allocation.urls import MonthConverter  # noqa: F401 -- registers the "month" converter

app_name = "disbursement"
urlpatterns = [
    path("", views.index, name="index"),
    path("<month:period>/", views.report, name="report"),
    path("<month:period>/approve/", views.approve, name="approve"),
    path("<month:period>/report.csv", views.report_csv, name="report_csv"),
    path("<month:period>/report-<str:language>.pdf", views.report_pdf, name="report_pdf"),
    path("<month:period>/pain001.xml", views.sepa_file, name="sepa_file"),
    path("<month:period>/sent/", views.batch_sent, name="batch_sent"),
    path("payouts/<int:pk>/<str:action>/", views.payout_action, name="payout_action"),
]
