"""Reads for the transparency pages."""

from __future__ import annotations

from django.db.models import Count, Q

from contributors.enums import Visibility
from contributors.models import Contributor
from projects.enums import ProjectStatus
from projects.models import Project


def transparency_figures() -> dict[str, int]:
    projects = Project.objects.aggregate(
        total=Count("id"),
        admitted=Count("id", filter=Q(status=ProjectStatus.ADMITTED)),
        proposed=Count("id", filter=Q(status=ProjectStatus.PROPOSED)),
    )
    contributors = Contributor.objects.aggregate(
        total=Count("id"),
        public=Count("id", filter=~Q(visibility=Visibility.SECRET)),
    )
    return {
        "projects_total": projects["total"],
        "projects_admitted": projects["admitted"],
        "projects_proposed": projects["proposed"],
        "contributors_total": contributors["total"],
        "contributors_public": contributors["public"],
    }
