from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from librery.validators import refuse_invisible_controls
from projects.enums import ProjectStatus
from projects.fundingjson import MAX_MANIFEST_BYTES
from projects.models import (
    MAX_ACCOUNT_ADDRESS,
    MAX_CLAIM_EVIDENCE,
    MAX_CLAIM_LINKS,
    MAX_CLAIM_REASON,
    MAX_PROJECT_DESCRIPTION,
)
from projects.selectors import ProjectSort

MAX_TAGS = 10


class ProjectSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All statuses")), *ProjectStatus.choices],
        required=False,
    )
    tag = forms.CharField(
        label=_("Tag"),
        max_length=100,
        required=False,
        help_text=_("The start of a tag, in any case."),
    )
    licence = forms.CharField(
        label=_("Licence"),
        max_length=100,
        required=False,
        help_text=_("The start of a licence, in any case: GPL, mpl, Apache…"),
    )
    public_bodies = forms.BooleanField(label=_("Used by public bodies"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), choices=ProjectSort.choices, required=False)

    def filters(self) -> dict[str, object]:
        """The selector's keyword arguments; invalid input is ignored, not an error."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "query": data["q"].strip(),
            "status": data["status"],
            "tag": data["tag"].strip(),
            "licence": data["licence"].strip(),
            "public_bodies": data["public_bodies"],
            "sort": data["sort"] or ProjectSort.NAME,
        }


class PayoutAccountForm(forms.Form):
    holder_name = forms.CharField(
        label=_("Account holder"), max_length=200, validators=[refuse_invisible_controls]
    )
    iban = forms.CharField(label=_("IBAN"), max_length=50)
    bic = forms.CharField(label=_("BIC"), max_length=20)
    address = forms.CharField(
        label=_("Holder's address"),
        max_length=MAX_ACCOUNT_ADDRESS,
        validators=[refuse_invisible_controls],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    password = forms.CharField(
        label=_("Your password"),
        help_text=_("Changing where the money goes needs your password again."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ManifestForm(forms.Form):
    url = forms.URLField(
        label=_("Address of the funding.json manifest"),
        required=False,
        assume_scheme="https",
        help_text=_("For example https://example.org/funding.json"),
    )
    file = forms.FileField(label=_("Or upload the manifest"), required=False)

    def clean_file(self) -> object:
        upload = self.cleaned_data.get("file")
        if upload is not None and upload.size > MAX_MANIFEST_BYTES:
            raise forms.ValidationError(
                _("The manifest is too large: at most %(max)d bytes."),
                params={"max": MAX_MANIFEST_BYTES},
            )
        return upload

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if bool(data.get("url")) == bool(data.get("file")):
            raise forms.ValidationError(_("Give either the manifest's address or its file."))
        return data


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class ProjectEditForm(forms.Form):
    summary = forms.CharField(
        label=_("Short description (French)"),
        max_length=500,
        required=False,
        validators=[refuse_invisible_controls],
    )
    summary_en = forms.CharField(
        label=_("Short description (English)"),
        max_length=500,
        required=False,
        validators=[refuse_invisible_controls],
    )
    description = forms.CharField(
        label=_("Description (French)"),
        max_length=MAX_PROJECT_DESCRIPTION,
        widget=forms.Textarea,
        required=False,
    )
    description_en = forms.CharField(
        label=_("Description (English)"),
        max_length=MAX_PROJECT_DESCRIPTION,
        widget=forms.Textarea,
        required=False,
    )
    repository_url = forms.URLField(
        label=_("Repository"), max_length=250, required=False, assume_scheme="https"
    )
    website_url = forms.URLField(
        label=_("Website"), max_length=250, required=False, assume_scheme="https"
    )
    licences = forms.CharField(
        label=_("Licences"),
        max_length=500,
        required=False,
        help_text=_("SPDX identifiers separated by commas, e.g. MIT, GPL-3.0-or-later."),
    )
    tags = forms.CharField(
        label=_("Tags"), max_length=500, required=False, help_text=_("Separated by commas.")
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG, GIF or WebP, at most 2 MB; shown at 256 pixels at most."),
    )
    is_public = forms.BooleanField(label=_("Show me as a maintainer publicly"), required=False)
    identifiers = forms.CharField(
        label=_("Package URLs and repositories"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One per line, how Software Bills of Materials name the project: a package URL "
            "(pkg:pypi/django), a prefix for a whole namespace (pkg:npm/@angular/*) or a "
            "repository address. Contributors' SBOMs find the project by them."
        ),
    )

    def clean_identifiers(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["identifiers"].splitlines()]

    def clean_licences(self) -> list[str]:
        return _split(self.cleaned_data["licences"])

    def clean_tags(self) -> list[str]:
        tags = _split(self.cleaned_data["tags"])
        if len(tags) > MAX_TAGS:
            raise forms.ValidationError(_("At most %(max)d tags."), params={"max": MAX_TAGS})
        return tags


class ClaimReviewForm(forms.Form):
    """What a claimant tells the administrator who reviews the claim."""

    evidence = forms.CharField(
        label=_("How do you take part in the project?"),
        max_length=MAX_CLAIM_EVIDENCE,
        validators=[refuse_invisible_controls],
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Your role, since when, and how an administrator can check it (a commit, a "
            "release you signed, an address at the project's domain…)."
        ),
    )
    links = forms.CharField(
        label=_("Links that show it"),
        required=False,
        max_length=MAX_CLAIM_LINKS * 510,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["links"].help_text = gettext("One web address per line, at most %(max)d.") % {
            "max": MAX_CLAIM_LINKS
        }

    def clean_links(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["links"].splitlines() if line.strip()]


class ClaimDecisionForm(forms.Form):
    """An administrator's reason for accepting or rejecting a claim."""

    reason = forms.CharField(
        label=_("Reason (the claimant reads it)"),
        max_length=MAX_CLAIM_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
