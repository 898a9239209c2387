"""The forms of "Earmark from an SBOM"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contributors.enums import SplitMode
from contributors.models import Contributor, Sbom, User
from contributors.sbom import MAX_SBOM_BYTES
from contributors.selectors import organisations_of
from contributors.selectors_sbom import (
    ProposedEarmark,
    sbom_components,
    sbom_match,
    sbom_propose,
    sboms_of,
)
from funds.money import bp_input
from funds.selectors import fund_settings_at
from librery.numbers import whole_number

MYSELF = "me"


class SbomUploadForm(forms.Form):
    pay_as = forms.ChoiceField(label=_("The software of"))
    file = forms.FileField(
        label=_("SBOM file"),
        help_text=_(
            "CycloneDX JSON (1.4 to 1.6) or SPDX JSON (2.2 or 2.3), at most 5 MB. It stays "
            "private: only you, your organisation's members and the administrators see it."
        ),
    )

    def __init__(self, *args: Any, user: User, contributor: Contributor | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.organisations = {str(o.pk): o for o in organisations_of(user)}
        choices = [(MYSELF, _("Myself"))] + [(pk, o.name) for pk, o in self.organisations.items()]
        if contributor is not None:  # a pledge's SBOM is its contributor's
            mine = MYSELF if contributor.user_id == user.pk else str(contributor.pk)
            choices = [c for c in choices if c[0] == mine]
        self.fields["pay_as"].choices = choices  # type: ignore[attr-defined]
        self.fields["pay_as"].initial = choices[0][0] if choices else MYSELF

    def organisation(self) -> Contributor | None:
        choice = self.cleaned_data.get("pay_as", MYSELF)
        return None if choice == MYSELF else self.organisations[choice]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_SBOM_BYTES:
            raise forms.ValidationError(
                _("The file is too large: an SBOM may be at most %(max)d MB."),
                params={"max": MAX_SBOM_BYTES // (1024 * 1024)},
            )
        return upload


class SplitModeForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Share the earmarks"),
        choices=SplitMode.choices,
        initial=SplitMode.DIRECT,
        widget=forms.RadioSelect,
        required=False,
    )

    def chosen(self) -> SplitMode:
        if self.is_valid() and self.cleaned_data["mode"]:
            return SplitMode(self.cleaned_data["mode"])
        return SplitMode.DIRECT


def earmark_cap_bp() -> int:
    """The earmark cap in force: the most an SBOM's proposal shares."""
    return int(fund_settings_at(at=timezone.now())["earmark_cap_bp"])


def proposal_initial(proposal: list[ProposedEarmark]) -> dict[str, object]:
    """A proposal as the earmark rows of the pledge forms."""
    initial: dict[str, object] = {}
    for row, earmark in enumerate(proposal, start=1):
        initial[f"project_{row}"] = earmark.project.pk
        initial[f"share_{row}"] = bp_input(earmark.share_bp)
    return initial


def proposing_sbom(request: HttpRequest, user: User) -> tuple[Sbom | None, dict[str, object]]:
    """The SBOM named by `?sbom=<pk>` on the pledge form, and the earmark rows it
    proposes in `?mode=` (nothing when there is none)."""
    pk = request.GET.get("sbom", "")
    if not pk:
        return None, {}
    number = whole_number(pk)
    if number is None:
        raise Http404
    sbom = get_object_or_404(sboms_of(user), pk=number)
    mode = SplitModeForm(request.GET).chosen()
    proposal = sbom_propose(
        sbom_match(sbom_components(sbom)).matched, mode=mode, budget_bp=earmark_cap_bp()
    )
    initial = proposal_initial(proposal)
    if sbom.contributor.user_id != user.pk:
        initial["pay_as"] = str(sbom.contributor_id)
    return sbom, initial
