from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from projects.enums import ProjectStatus
from projects.forms import ProjectSearchForm
from projects.models import Project
from projects.selectors import project_list

PAGE_SIZE = 24


@require_GET
def project_index(request: HttpRequest) -> HttpResponse:
    form = ProjectSearchForm(request.GET or None)
    query, status = "", ""
    if form.is_valid():
        query = form.cleaned_data["q"]
        status = form.cleaned_data["status"]
    page = Paginator(project_list(query=query, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "projects/project_list.html",
        {"form": form, "page": page, "statuses": ProjectStatus},
    )


@require_GET
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_object_or_404(Project, slug=slug)
    maintainers = project.maintainerships.filter(is_public=True).select_related("user")
    return render(
        request, "projects/project_detail.html", {"project": project, "maintainers": maintainers}
    )
