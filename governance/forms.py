"""governance: forms (input validation only; services decide)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from governance.enums import Choice, InterestKind
from librery.validators import refuse_invisible_controls
from projects.models import Project


class MotionVoteForm(forms.Form):
    choice = forms.ChoiceField(
        label=_("Your vote"), choices=Choice.choices, widget=forms.RadioSelect
    )
    seat = forms.IntegerField(widget=forms.HiddenInput, required=False)


class InterestForm(forms.Form):
    project = forms.CharField(
        label=_("Project"),
        max_length=200,
        help_text=_("Type the project's name, or part of it (such as GLPI), and pick it."),
        widget=forms.TextInput(attrs={"list": "interest-projects", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label=_("Interest"), choices=InterestKind.choices)
    note = forms.CharField(
        label=_("Note"), max_length=300, required=False, validators=[refuse_invisible_controls]
    )

    def clean_project(self) -> Project:
        """A project by its name (any case), a unique part of it, or its address name."""
        text = " ".join(self.cleaned_data["project"].split())
        slug = text.strip("/").rsplit("/", 1)[-1]
        project = (
            Project.objects.filter(name__iexact=text).order_by("pk").first()
            or Project.objects.filter(slug=slug).first()
        )
        if project is not None:
            return project
        matches = list(Project.objects.filter(name__icontains=text).order_by("name", "pk")[:6])
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise forms.ValidationError(
                _("No project is called “%(text)s”: type part of its name, such as GLPI.")
                % {"text": text}
            )
        names = ", ".join(m.name for m in matches[:5])
        raise forms.ValidationError(
            _("Several projects match “%(text)s” (%(names)s): type its full name.")
            % {"text": text, "names": names}
        )


class ProxyForm(forms.Form):
    holder = forms.TypedChoiceField(label=_("Give my proxy to"), coerce=int)

    def __init__(self, *args: Any, holders: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["holder"].choices = holders  # type: ignore[attr-defined]


def parse_points(data: Any) -> tuple[dict[int, int], str | None]:
    """Points typed in the dot-vote form (`p_<project id>` fields)."""
    points: dict[int, int] = {}
    for key, raw in data.items():
        if not key.startswith("p_"):
            continue
        text = str(raw).strip()
        if not text:
            continue
        try:
            project = int(key[2:])
            value = int(text)
        except ValueError:
            return {}, str(_("Points are whole numbers, zero or more."))
        if value < 0:
            return {}, str(_("Points are whole numbers, zero or more."))
        if value:
            points[project] = value
    return points, None
