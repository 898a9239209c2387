"""funds: forms of the reconciliation pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from funds.camt import statement_too_large
from funds.models import PaymentRequest
from funds.money import MoneyError, parse_amount_cents


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CAMT.053 statement (XML)"),
        validators=[FileExtensionValidator(["xml"])],
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.STATEMENT_MAX_BYTES:
            raise forms.ValidationError(statement_too_large())
        return upload


class LineDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("book", _("Book")), ("ignore", _("Ignore"))])
    payment_request = forms.ModelChoiceField(
        queryset=PaymentRequest.objects.all(),
        required=False,
        to_field_name="number",
        label=_("Payment request number"),
        widget=forms.TextInput(attrs={"placeholder": "2026-000001"}),
    )


class MarkPaidForm(forms.Form):
    amount = forms.CharField(label=_("Amount received (euros)"), max_length=30)
    received_on = forms.DateField(
        label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    # Needed only when the amount received is not the amount due.
    choice = forms.ChoiceField(
        label=_("If the amount differs"),
        required=False,
        choices=[
            ("", _("It is the amount due")),
            ("partial", _("Partial payment: the rest stays due")),
            ("accept", _("Accept as full payment")),
        ],
    )
    reason = forms.CharField(label=_("Reason for accepting"), max_length=500, required=False)

    def clean_amount(self) -> int:
        try:
            return parse_amount_cents(self.cleaned_data["amount"])
        except MoneyError as error:
            raise forms.ValidationError(str(error)) from None
