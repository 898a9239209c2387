from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from projects.enums import FUNDABLE_STATUSES, MaintainerRole, ProjectStatus


class ProjectQuerySet(models.QuerySet["Project"]):
    def fundable(self) -> ProjectQuerySet:
        return self.filter(status__in=FUNDABLE_STATUSES)


class Project(models.Model):
    """An open-source project in the catalogue of commons."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    summary = models.CharField(_("short description"), max_length=500, blank=True)
    description = models.TextField(_("description"), blank=True)
    repository_url = models.URLField(_("repository"), blank=True)
    website_url = models.URLField(_("website"), blank=True)
    licences = models.JSONField(_("licences (SPDX)"), default=list, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.PROPOSED
    )
    source = models.CharField(
        _("source"), max_length=50, blank=True, help_text=_("Where the entry was imported from.")
    )
    source_ref = models.CharField(_("reference in the source"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ProjectStatus.values), name="project_status_valid"
            ),
            models.UniqueConstraint(
                fields=["source", "source_ref"],
                condition=~models.Q(source=""),
                name="project_unique_source_ref",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_fundable(self) -> bool:
        return self.status in FUNDABLE_STATUSES


class Maintainership(models.Model):
    """A user who maintains a project; governance reads interests from here."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="maintainerships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="maintainerships",
    )
    role = models.CharField(
        _("role"), max_length=20, choices=MaintainerRole.choices, default=MaintainerRole.MAINTAINER
    )
    is_public = models.BooleanField(_("shown publicly"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("maintainership")
        verbose_name_plural = _("maintainerships")
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="maintainership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.project} ({self.role})"
