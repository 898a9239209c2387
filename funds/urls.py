"""funds: URLs (documents; administrators' reconciliation; the Stripe part adds its own)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from funds import views
from funds.stripe import views as stripe_views

app_name = "funds"
urlpatterns: list[URLPattern | URLResolver] = [
    path("requests/<int:pk>/pdf/", views.payment_request_pdf, name="payment_request_pdf"),
    path("receipts/<int:pk>/attestation-<str:language>.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("pledges/<int:pk>/pay/", stripe_views.pay, name="stripe_pay"),
    path("pledges/<int:pk>/pay/complete/", stripe_views.complete, name="stripe_complete"),
    path("payments/<int:pk>/sync/", stripe_views.sync, name="stripe_sync"),
    path("stripe/payments/", stripe_views.refundable, name="stripe_payments"),
    path("stripe/payments/<int:pk>/refund/", stripe_views.refund, name="stripe_refund"),
    path("reconciliation/", views.statements, name="statements"),
    path("reconciliation/statements/<int:pk>/", views.statement_detail, name="statement_detail"),
    path("reconciliation/lines/<int:pk>/decide/", views.statement_line_decide, name="line_decide"),
    path(
        "reconciliation/requests/<int:pk>/paid/",
        views.payment_request_mark_paid,
        name="payment_request_mark_paid",
    ),
    path("reconciliation/refunds/<int:pk>/reviewed/", views.refund_review, name="refund_review"),
]
