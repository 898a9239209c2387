from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LibreryConfig(AppConfig):
    name = "librery"
    verbose_name = _("Platform")
