"""django-allauth's account adapter: a new user keeps the language they signed up in."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.forms import BaseForm
from django.http import HttpRequest
from django.utils import translation

from contributors.models import User


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc] # allauth is untyped
    def save_user(
        self,
        request: HttpRequest,
        user: AbstractBaseUser,
        form: BaseForm,
        commit: bool = True,
    ) -> AbstractBaseUser:
        """The emails sent to this person are in the language of the sign-up page."""
        language = translation.get_language()
        if isinstance(user, User) and language in dict(settings.LANGUAGES):
            user.language = language
        saved: AbstractBaseUser = super().save_user(request, user, form, commit=commit)
        return saved
