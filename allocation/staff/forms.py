"""Forms of the disbursement pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ApproveForm(forms.Form):
    """Approving asks again for the password and a TOTP code, and carries the
    content hash of the report as the page showed it."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("Your two-factor code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )
    sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)


class PayoutFailForm(forms.Form):
    reason = forms.CharField(label=_("Why the bank returned it"), max_length=300, required=False)
