"""contributors: forms. They parse and check input; the services decide."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from contributors.countries import normalise_country, validate_country
from contributors.enums import (
    MembershipRole,
    OrganisationKind,
    PaymentMethod,
    PledgeFrequency,
    Visibility,
)
from contributors.models import BILLING_ADDRESS_MAX_LENGTH, Contributor, User
from contributors.selectors import organisations_of
from contributors.services import (
    MAX_EARMARKS,
    ContributionError,
    EarmarkInput,
)
from funds.money import MoneyError, parse_amount_cents, parse_percent_bp
from funds.services.pledges import pledge_validate
from librery.validators import refuse_invisible_controls
from projects.models import Project

EARMARK_ROWS = 5
MYSELF = "me"
# A posted earmark row: project_3, share_3.
EARMARK_KEY = re.compile(r"(?:project|share)_(\w+)")
ROW_NUMBER = re.compile(r"[1-9][0-9]{0,3}")


class DisplayNameField(forms.CharField):
    """The name shown publicly (never taken from the email address)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Name shown publicly"))
        kwargs.setdefault(
            "help_text",
            _("Your name or a pseudonym: it appears with the contributions you make by name."),
        )
        super().__init__(
            max_length=150,
            validators=[refuse_invisible_controls],
            widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
            **kwargs,
        )


class SignupForm(forms.Form):
    """django-allauth's sign-up form (ACCOUNT_SIGNUP_FORM_CLASS) asks for the public
    name too; the account adapter saves it with the user."""

    field_order = ["email", "display_name", "password1", "password2"]
    display_name = DisplayNameField()

    def signup(self, request: HttpRequest, user: User) -> None:
        """Nothing left to do: `AccountAdapter.save_user` saved the name."""


class DisplayNameForm(forms.Form):
    display_name = DisplayNameField()


class AmountField(forms.Field):
    """Euros as typed ("50", "50,00", "50.00") to integer cents."""

    widget = forms.TextInput

    def __init__(self, *, max_length: int = 30, **kwargs: Any) -> None:
        self.max_length = max_length
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.update({"maxlength": str(self.max_length), "inputmode": "decimal"})
        return attrs

    def to_python(self, value: Any) -> int | None:
        text = str(value or "").strip()
        if not text:
            return None
        if len(text) > self.max_length:
            raise forms.ValidationError(_("Enter an amount in euros, such as 50 or 50,00."))
        try:
            return parse_amount_cents(text)
        except MoneyError as error:
            raise forms.ValidationError(str(error), code="amount") from None


class EarmarksMixin(forms.Form):
    """EARMARK_ROWS (project, share in percent) rows, more when more are posted or
    the pledge has more, up to MAX_EARMARKS; a row beyond is refused, never dropped."""

    earmark_row_count = EARMARK_ROWS
    earmark_rows_refused = False

    def _rows_wanted(self) -> int:
        source = self.data if self.is_bound else self.initial
        rows = EARMARK_ROWS
        for key in source:
            match = EARMARK_KEY.fullmatch(str(key))
            if match is None or not str(source.get(key) or "").strip():
                continue
            number = match.group(1)
            if not ROW_NUMBER.fullmatch(number) or int(number) > MAX_EARMARKS:
                self.earmark_rows_refused = True
            else:
                rows = max(rows, int(number))
        return rows

    def add_earmark_fields(self) -> None:
        projects = Project.objects.fundable().order_by("name")
        self.earmark_row_count = self._rows_wanted()
        for row in range(1, self.earmark_row_count + 1):
            self.fields[f"project_{row}"] = forms.ModelChoiceField(
                queryset=projects,
                required=False,
                label=_("Project %(row)d") % {"row": row},
                empty_label=_("(none)"),
            )
            self.fields[f"share_{row}"] = forms.CharField(
                required=False,
                max_length=10,
                label=_("Share (%%) of project %(row)d") % {"row": row},
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )

    def earmark_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"project_{row}"], self[f"share_{row}"])
            for row in range(1, self.earmark_row_count + 1)
        ]

    def clean_earmarks(self, cleaned: dict[str, Any]) -> list[EarmarkInput]:
        earmarks: list[EarmarkInput] = []
        if self.earmark_rows_refused:
            self.add_error(
                None,
                ngettext(
                    "Choose at most %(count)d project, in row 1.",
                    "Choose at most %(count)d projects, in rows numbered 1 to %(count)d.",
                    MAX_EARMARKS,
                )
                % {"count": MAX_EARMARKS},
            )
        for row in range(1, self.earmark_row_count + 1):
            project = cleaned.get(f"project_{row}")
            share = (cleaned.get(f"share_{row}") or "").strip()
            if project is None and not share:
                continue
            if project is None:
                self.add_error(f"project_{row}", _("Choose a project for this share."))
                continue
            if not share:
                self.add_error(f"share_{row}", _("Give this project a share."))
                continue
            try:
                earmarks.append(EarmarkInput(project.pk, parse_percent_bp(share)))
            except MoneyError as error:
                self.add_error(f"share_{row}", str(error))
        return earmarks


class PledgeForm(EarmarksMixin):
    pay_as = forms.ChoiceField(label=_("I give as"))
    visibility = forms.ChoiceField(
        label=_("How I appear publicly"),
        choices=Visibility.choices,
        initial=Visibility.NAMED,
        widget=forms.RadioSelect,
        help_text=_("Not at all: your name never leaves the platform."),
    )
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=PledgeFrequency.choices,
        initial=PledgeFrequency.MONTHLY,
        widget=forms.RadioSelect,
    )
    amount = AmountField(
        label=_("Amount (euros)"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    payment_method = forms.ChoiceField(
        label=_("How I pay"),
        choices=PaymentMethod.choices,
        initial=PaymentMethod.CARD,
        widget=forms.RadioSelect,
    )
    token = forms.UUIDField(widget=forms.HiddenInput)
    commitment = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, user: User, online_payments: bool | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if online_payments is None:
            online_payments = bool(settings.USE_STRIPE)
        self.online_payments = online_payments
        if not online_payments:
            # Only the methods that can work: card and SEPA need Stripe.
            method = self.fields["payment_method"]
            method.choices = [  # type: ignore[attr-defined]
                (PaymentMethod.BANK_TRANSFER.value, PaymentMethod.BANK_TRANSFER.label)
            ]
            method.initial = PaymentMethod.BANK_TRANSFER
            method.help_text = _(
                "Card and SEPA Direct Debit are not offered: online payments are not set up "
                "on this platform yet. You receive a payment request to pay by bank transfer."
            )
        self.organisations = {str(o.pk): o for o in organisations_of(user)}
        self.fields["pay_as"].choices = [(MYSELF, _("Myself"))] + [  # type: ignore[attr-defined]
            (pk, organisation.name) for pk, organisation in self.organisations.items()
        ]
        self.fields["pay_as"].initial = MYSELF
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4())
        self.add_earmark_fields()

    def organisation(self) -> Contributor | None:
        choice = self.cleaned_data.get("pay_as", MYSELF)
        return None if choice == MYSELF else self.organisations[choice]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        earmarks = self.clean_earmarks(cleaned)
        cleaned["earmarks"] = earmarks
        amount = cleaned.get("amount")
        if amount is not None and not self.errors:
            try:
                pledge_validate(amount_cents=amount, earmarks=earmarks, at=timezone.now())
            except ContributionError as error:
                raise forms.ValidationError(str(error)) from None
        return cleaned


class PledgeAmendForm(EarmarksMixin):
    amount = AmountField(label=_("New amount (euros)"), max_length=30)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_earmark_fields()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["earmarks"] = self.clean_earmarks(cleaned)
        return cleaned


class CountryField(forms.CharField):
    """An ISO 3166-1 alpha-2 code, in any case ("fr" is FR); "ZZ" is refused."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=2, validators=[validate_country], **kwargs)

    def to_python(self, value: Any) -> str:
        return normalise_country(super().to_python(value) or "")


class OrganisationForm(forms.Form):
    name = forms.CharField(
        label=_("Name shown"), max_length=200, validators=[refuse_invisible_controls]
    )
    organisation_kind = forms.ChoiceField(label=_("Kind"), choices=OrganisationKind.choices)
    legal_name = forms.CharField(
        label=_("Legal name"), max_length=200, validators=[refuse_invisible_controls]
    )
    country = CountryField(label=_("Country (two-letter code)"), initial="FR")
    billing_address = forms.CharField(
        label=_("Billing address"),
        max_length=BILLING_ADDRESS_MAX_LENGTH,
        validators=[refuse_invisible_controls],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    siren_siret = forms.CharField(
        label=_("SIREN or SIRET"),
        max_length=20,
        required=False,
        help_text=_("Required for French organisations."),
    )
    vat_number = forms.CharField(label=_("VAT number (optional)"), max_length=20, required=False)
    visibility = forms.ChoiceField(
        label=_("How the organisation appears publicly"),
        choices=Visibility.choices,
        initial=Visibility.NAMED,
        widget=forms.RadioSelect,
    )


class CommitmentForm(forms.Form):
    organisation = forms.ChoiceField(label=_("Public body"))
    project_name = forms.CharField(
        label=_("Digital project"), max_length=200, validators=[refuse_invisible_controls]
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    budget = AmountField(label=_("Budget (euros)"), max_length=30)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = {str(o.pk): o for o in organisations_of(user)}
        self.fields["organisation"].choices = [  # type: ignore[attr-defined]
            (pk, organisation.name) for pk, organisation in self.organisations.items()
        ]


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address of the person"), max_length=254)
    role = forms.ChoiceField(
        label=_("Role"), choices=MembershipRole.choices, initial=MembershipRole.MEMBER
    )
