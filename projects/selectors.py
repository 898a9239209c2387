"""Reads of the catalogue."""

from __future__ import annotations

from django.db.models import Count, Q

from projects.enums import ProjectStatus
from projects.models import Project, ProjectQuerySet


def home_figures() -> dict[str, object]:
    """What the home page shows: counts by status and a few admitted projects."""
    counts = Project.objects.aggregate(
        total=Count("id"),
        admitted=Count("id", filter=Q(status=ProjectStatus.ADMITTED)),
        from_sill=Count("id", filter=Q(source="sill-2020")),
    )
    featured = list(Project.objects.fundable().order_by("name")[:6])
    return {"project_counts": counts, "featured_projects": featured}


def project_list(*, query: str = "", status: str = "") -> ProjectQuerySet:
    projects = Project.objects.all()
    if query:
        projects = projects.filter(Q(name__icontains=query) | Q(summary__icontains=query))
    if status in ProjectStatus.values:
        projects = projects.filter(status=status)
    return projects.order_by("name", "id")
