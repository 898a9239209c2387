"""Another root URLconf naming a view as the platform does (`projects:detail`),
for `row_url`'s test that each URLconf gets its own URLs."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def _view(request: HttpRequest, slug: str) -> HttpResponse:  # pragma: no cover -- never called
    return HttpResponse(slug)


urlpatterns = [
    path("elsewhere/", include(([path("<slug:slug>/", _view, name="detail")], "projects"))),
]
