from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data loader: above every app (it imports them all), imported by none."""

    name = "demo"
    verbose_name = _("Demonstration data")
