"""Fund settings: each value with the decision that set it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from funds.enums import (
    FundSettingKey,
)


class FundSettingValue(models.Model):
    """One value of a fund setting, in force from `effective_at` until a later
    value's `effective_at`. Append-only: a change is a new row."""

    key = models.CharField(_("setting"), max_length=50, choices=FundSettingKey.choices)
    value = models.BigIntegerField(_("value"))
    effective_at = models.DateTimeField(_("in force from"))
    decision_reference = models.CharField(
        _("decision"),
        max_length=200,
        help_text=_("The adopted governance decision that set this value."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fund setting value")
        verbose_name_plural = _("fund setting values")
        ordering = ["key", "-effective_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "effective_at"], name="fund_setting_one_value_per_instant"
            ),
            models.CheckConstraint(
                condition=models.Q(key__in=FundSettingKey.values), name="fund_setting_key_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value} from {self.effective_at:%Y-%m-%d %H:%M} ({self.pk})"


# --- The ledger ---------------------------------------------------------------
