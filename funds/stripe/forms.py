"""The administrator's refund form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from funds.money import MoneyError, format_money, parse_amount_cents


class RefundForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount to refund (euros)"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def clean_amount(self) -> int:
        try:
            cents = parse_amount_cents(str(self.cleaned_data["amount"]))
        except MoneyError as error:
            raise forms.ValidationError(str(error)) from None
        if cents <= 0:
            raise forms.ValidationError(
                _("Enter an amount of at least %(amount)s."), params={"amount": format_money(1)}
            )
        return cents
