"""Anonymous public pages and API lists from the shared cache, out of date as soon
as a service changes what they show; signed-in people always get their own page."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from contributors.models import User
from librery.pagecache import (
    VERSION_KEY,
    PublicPageCacheMiddleware,
    public_cached,
    public_pages_changed,
    public_version,
    public_version_bump,
)
from projects import services as project_services
from projects.enums import ProjectStatus
from tests.factories import ProjectFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _cache_on(settings: Any) -> None:
    settings.PUBLIC_PAGE_CACHE_SECONDS = 300


def test_an_anonymous_page_is_served_from_the_cache_until_a_service_changes_it(
    client: Client, maintainer_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    project = ProjectFactory.create(name="Zeta project", status=ProjectStatus.ADMITTED)
    url = reverse("projects:list")
    assert "Zeta project" in client.get(url).content.decode()
    # Written behind the services' back: the cached page does not know.
    ProjectFactory.create(name="Omega project")
    assert "Omega project" not in client.get(url).content.decode()
    maintained = maintainer_user.maintainerships.get().project
    with django_capture_on_commit_callbacks(execute=True):
        project_services.project_update(
            project=maintained, actor=maintainer_user, values={"summary": "Brand new words"}
        )
    assert "Omega project" in client.get(url).content.decode()
    assert project.pk


def test_the_second_anonymous_request_runs_no_query(
    client: Client, django_assert_num_queries: Any
) -> None:
    ProjectFactory.create(status=ProjectStatus.ADMITTED)
    for url in (reverse("home"), reverse("projects:list"), "/api/v1/projects/"):
        first = client.get(url)
        with django_assert_num_queries(0):
            second = client.get(url)
        assert second.status_code == 200
        assert second.content == first.content
        assert second["Content-Type"] == first["Content-Type"]


def test_signed_in_people_never_get_a_cached_page(client: Client, contributor: Client) -> None:
    url = reverse("projects:list")
    anonymous = client.get(url).content.decode()
    assert "Log out" not in anonymous
    assert "Log out" in contributor.get(url).content.decode()
    ProjectFactory.create(name="Seen at once")
    assert "Seen at once" in contributor.get(url).content.decode()
    assert "Log out" not in client.get(url).content.decode()


def test_a_visitor_with_a_session_is_not_served_from_the_cache(client: Client) -> None:
    url = reverse("projects:list")
    client.get(url)
    ProjectFactory.create(name="Fresh for sessions")
    client.cookies["sessionid"] = "anything"
    assert "Fresh for sessions" in client.get(url).content.decode()


def test_the_version_moves_on_when_the_change_commits(
    django_capture_on_commit_callbacks: Any,
) -> None:
    before = public_version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        public_pages_changed()
    assert public_version() == before
    for callback in callbacks:
        callback()
    assert public_version() == before + 1


def test_a_cleared_cache_starts_a_new_version(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        public_pages_changed()  # no version stored yet
    first = public_version()
    cache.delete(VERSION_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        public_pages_changed()
    assert public_version() > first


def test_a_page_stored_before_its_version_was_lost_is_not_served_again(
    client: Client, settings: Any
) -> None:
    calls: list[int] = []

    @public_cached
    def view(request: HttpRequest) -> HttpResponse:
        calls.append(1)
        return HttpResponse(f"call {len(calls)}")

    settings.PUBLIC_PAGE_CACHE_SECONDS = 60
    middleware = PublicPageCacheMiddleware(view)
    request = RequestFactory().get("/evicted/")
    request.user = AnonymousUser()
    assert middleware(request).content == b"call 1"
    assert middleware(request).content == b"call 1"  # served from the cache
    public_version_bump()  # a version of, say, 2 where the first was 1
    cache.delete(VERSION_KEY)  # then evicted: a new version, never an old one
    assert middleware(request).content == b"call 2"


def test_responses_that_set_a_cookie_or_fail_are_not_kept() -> None:
    calls: list[str] = []

    @public_cached
    def view(request: HttpRequest) -> HttpResponse:
        calls.append(request.path)
        response = HttpResponse("hello")
        if request.path == "/cookie/":
            response.set_cookie("csrftoken", "x")
        if request.path == "/missing/":
            response.status_code = 404
        return response

    def unmarked(request: HttpRequest) -> HttpResponse:
        calls.append(request.path)
        return HttpResponse("not a public page")

    def route(request: HttpRequest) -> HttpResponse:
        return (unmarked if request.path == "/private/" else view)(request)

    middleware = PublicPageCacheMiddleware(route)
    factory = RequestFactory()
    for path in ("/cookie/", "/missing/", "/private/", "/plain/"):
        for _ in range(2):
            request = factory.get(path)
            request.user = AnonymousUser()
            middleware(request)
    assert calls == [
        *["/cookie/", "/cookie/", "/missing/", "/missing/"],
        *["/private/", "/private/", "/plain/"],
    ]


def test_a_cached_page_takes_one_cache_round_trip_and_no_session(
    client: Client, monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
) -> None:
    """The version and the page are read together; the session, authentication
    and locale middleware after the cache's never run for a hit."""
    ProjectFactory.create(status=ProjectStatus.ADMITTED)
    url = reverse("projects:list")
    first = client.get(url)
    reads: list[str] = []  # the calls made by the middleware, not within the backend
    inside: list[str] = []
    for name in ("get", "get_many"):
        original = getattr(cache, name)

        def counted(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
            if not inside:
                reads.append(_name)
            inside.append(_name)
            try:
                return _original(*args, **kw)
            finally:
                inside.pop()

        monkeypatch.setattr(cache, name, counted)
    with django_assert_num_queries(0):
        second = client.get(url)
    assert reads == ["get_many"]
    assert second.content == first.content
    assert not hasattr(second.wsgi_request, "session")
    assert not hasattr(second.wsgi_request, "user")
    # The headers the middleware after the cache's set are kept with the page.
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Language"):
        assert second[header] == first[header]


def test_the_api_is_kept_in_each_negotiated_language(client: Client) -> None:
    ProjectFactory.create(status=ProjectStatus.ADMITTED)
    french = client.get("/api/v1/projects/", HTTP_ACCEPT_LANGUAGE="fr")
    english = client.get("/api/v1/projects/", HTTP_ACCEPT_LANGUAGE="en")
    assert french["Content-Language"] == "fr"
    assert english["Content-Language"] == "en"
    again = client.get("/api/v1/projects/", HTTP_ACCEPT_LANGUAGE="en")
    assert again["Content-Language"] == "en"
    assert again.content == english.content


def test_the_cache_is_off_at_zero_seconds(client: Client, settings: Any) -> None:
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    url = reverse("projects:list")
    client.get(url)
    ProjectFactory.create(name="No cache")
    assert "No cache" in client.get(url).content.decode()


def test_each_host_gets_the_addresses_it_was_asked_by(client: Client) -> None:
    """A page that writes absolute addresses (the open data page's commands, the
    API's links) is kept per host: one asked for as localhost used to be served
    to a visitor of 127.0.0.1."""
    local = client.get("/transparency/open-data/", HTTP_HOST="localhost")
    loopback = client.get("/transparency/open-data/", HTTP_HOST="127.0.0.1")
    assert "python3 verify.py log http://localhost/transparency/log.json" in local.text
    assert "python3 verify.py log http://127.0.0.1/transparency/log.json" in loopback.text
    again = client.get("/transparency/open-data/", HTTP_HOST="localhost")
    assert again.content == local.content
