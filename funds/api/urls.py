"""funds API: urls."""

from __future__ import annotations

from django.urls import path

from funds.api import views

app_name = "funds-api"
urlpatterns = [
    path("receipts/", views.ReceiptListAPIView.as_view(), name="receipt-list"),
    path(
        "payment-requests/", views.PaymentRequestListAPIView.as_view(), name="payment-request-list"
    ),
    path("statements/", views.StatementListAPIView.as_view(), name="statement-list"),
    path(
        "statements/<int:pk>/lines/",
        views.StatementLineListAPIView.as_view(),
        name="statement-lines",
    ),
    path("lines/<int:pk>/decide/", views.StatementLineDecideAPIView.as_view(), name="line-decide"),
]
