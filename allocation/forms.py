"""allocation: forms."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from allocation.enums import MONTH_REGEX


class AllocateForm(forms.Form):
    """The month an administrator previews or runs."""

    period = forms.CharField(
        label=_("Month (YYYY-MM)"), max_length=7, help_text=_("For example 2026-03.")
    )

    def clean_period(self) -> str:
        period = str(self.cleaned_data["period"]).strip()
        if not re.fullmatch(MONTH_REGEX, period):
            raise forms.ValidationError(_("Enter a month such as 2026-03."))
        return period
