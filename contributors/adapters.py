"""django-allauth's account adapter: a new user keeps the language they signed up in
and the public name they chose."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode, urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.forms import BaseForm
from django.http import HttpRequest
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from contributors.models import User
from librery.mail import message_enqueue


def _site() -> SimpleNamespace:
    """The site as account emails name it: the platform's name and address from
    settings, never the host a request came in on."""
    return SimpleNamespace(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc] # allauth is untyped
    def save_user(
        self,
        request: HttpRequest,
        user: AbstractBaseUser,
        form: BaseForm,
        commit: bool = True,
    ) -> AbstractBaseUser:
        """The emails sent to this person are in the language of the sign-up page;
        the name they chose is the one shown publicly (`SignupForm`)."""
        language = translation.get_language()
        if isinstance(user, User) and language in dict(settings.LANGUAGES):
            user.language = language
        if isinstance(user, User):
            user.display_name = str(getattr(form, "cleaned_data", {}).get("display_name", ""))
        saved: AbstractBaseUser = super().save_user(request, user, form, commit=commit)
        return saved

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: Any) -> str:
        """The address confirmation link, keeping where the person was going when
        they signed up (`next`: a pledge form with its project), so that the
        confirmation leads back there, even in another browser."""
        url: str = super().get_email_confirmation_url(request, emailconfirmation)
        wanted = ""
        if request is not None:
            wanted = str(request.POST.get("next") or request.GET.get("next") or "")
        if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts=None):
            url = f"{url}?{urlencode({'next': wanted})}"
        return url

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Account emails (address confirmation, password reset, security notices)
        go through the platform's one mail task after commit, like every other
        mail: rendered here, in the language of the request that asked for them."""
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, "current_site": _site()} | context,
        )
        html = next(
            (
                str(content)
                for content, kind in getattr(message, "alternatives", [])
                if kind == "text/html"
            ),
            "",
        )
        message_enqueue(
            subject=str(message.subject), body=str(message.body), to=email, html_body=html
        )
