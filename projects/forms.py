from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from projects.enums import ProjectStatus


class ProjectSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All statuses")), *ProjectStatus.choices],
        required=False,
    )
