"""The standing authorization matrix (issue 9): every route of the URL resolver,
for every persona, gives the answer its table (`tests/authz/table.py`) expects;
a route without an expected answer fails the test, and so does an unauthorised
POST that changes anything."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import LocalePrefixPattern
from django.utils import translation

from tests.authz.graph import PERSONAS, Graph, build_graph
from tests.authz.table import (
    ADMIN_LOGIN,
    FORBIDDEN,
    HOME,
    LOGIN,
    OK,
    TABLE,
    TOTP,
    Expect,
    Route,
)
from tests.html_refs import dangling_references

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

LANGUAGE = "en"  # pages are checked in English; see the table's docstring


@dataclass(frozen=True)
class Walked:
    key: str  # namespace:name, or the pattern for an unnamed route
    pattern: str  # the full route, as written
    i18n: bool  # under i18n_patterns (carries the language prefix)


def walk(resolver: URLResolver | None = None) -> list[Walked]:
    """Every route of the URLconf, through every include."""
    found: list[Walked] = []

    def visit(node: URLResolver, prefix: str, namespace: str | None, i18n: bool) -> None:
        for entry in node.url_patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                locale = isinstance(entry.pattern, LocalePrefixPattern)
                visit(entry, prefix + ("" if locale else str(entry.pattern)), inner, i18n or locale)
            else:
                assert isinstance(entry, URLPattern)
                pattern = prefix + str(entry.pattern)
                name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
                found.append(Walked(key=name or pattern, pattern=pattern, i18n=i18n))

    visit(resolver or get_resolver(), "", None, False)
    return found


# --- The admin: one rule for every page of django.contrib.admin -------------------------


def is_admin(route: Walked) -> bool:
    return route.key.startswith("admin:") or route.pattern.startswith("admin/")


def _admin_model(app_label: str, model_name: str) -> tuple[Any, admin.ModelAdmin[Any]]:
    model = apps.get_model(app_label, model_name)
    return model, admin.site._registry[model]


def _admin_action(key: str) -> tuple[Any, admin.ModelAdmin[Any], str] | None:
    """The model, its ModelAdmin and the action of `admin:<app>_<model>_<action>`."""
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if key.startswith(prefix):
            return model, model_admin, key.removeprefix(prefix)
    return None


def _admin_permissions(model_admin: admin.ModelAdmin[Any], user: Any) -> dict[str, bool]:
    request = HttpRequest()
    request.user = user
    return {
        "add": model_admin.has_add_permission(request),
        "change": model_admin.has_view_or_change_permission(request),
        "delete": model_admin.has_delete_permission(request),
    }


# The admin's own pages, and what an administrator with TOTP gets on them.
ADMIN_PAGES: dict[str, Expect] = {
    "admin:index": OK,
    "admin:login": HOME,  # already signed in
    "admin:logout": Expect(405),  # logging out is a POST
    "admin:password_change": OK,
    "admin:password_change_done": OK,
    "admin:jsi18n": OK,
    "admin:autocomplete": Expect(403),  # without the admin's field parameters
}


def _admin_other_page(route: Walked, graph: Graph) -> tuple[str, Expect] | None:
    if route.key == "admin:app_list":
        return reverse(route.key, kwargs={"app_label": "funds"}), OK
    if route.key == "admin:view_on_site":
        project = graph.project
        kwargs = {
            "content_type_id": ContentType.objects.get_for_model(project).pk,
            "object_id": project.pk,
        }
        return reverse(route.key, kwargs=kwargs), Expect(404)  # a project has no page URL
    if route.key == "admin:projects_projectclaim_review":  # a claim's review page
        return reverse(route.key, kwargs={"pk": graph.claim_fetch.claim_id}), OK
    if route.pattern == "admin/(?P<url>.*)$":
        return f"/{LANGUAGE}/admin/no-such-page/", Expect(404)
    return None


def admin_request(route: Walked, graph: Graph) -> tuple[str, Expect]:
    """The path of an admin route (with a real object where it takes one) and what
    an administrator with TOTP gets; everyone else is sent to log in as staff."""
    if route.key in ADMIN_PAGES:
        return reverse(route.key), ADMIN_PAGES[route.key]
    other = _admin_other_page(route, graph)
    if other is not None:
        return other
    found = _admin_action(route.key)
    if found is None:
        # admin/<app>/<model>/<object_id>/: the old change URL, redirected to the new one.
        app_label, model_name = route.pattern.split("/")[1:3]
        model, _model_admin = _admin_model(app_label, model_name)
        obj = model.objects.order_by("pk").first()
        object_id = 0 if obj is None else obj.pk
        return f"/{LANGUAGE}/admin/{app_label}/{model_name}/{object_id}/", Expect(302)
    model, model_admin, action = found
    allowed = _admin_permissions(model_admin, graph.users["administrator"])
    if action in {"changelist", "add"}:
        permission = "change" if action == "changelist" else "add"
        return reverse(route.key), OK if allowed[permission] else Expect(403)
    permission = {
        "change": "change",
        "history": "change",
        "delete": "delete",
        "password_change": "change",
    }[action]
    obj = model.objects.order_by("pk").first()
    if obj is None:
        # No such object: the admin says so and goes back to its index (once the
        # action itself is allowed).
        expected = Expect(302, "admin:index") if allowed[permission] else Expect(403)
        return reverse(route.key, kwargs={"object_id": 0}), expected
    expected = OK if allowed[permission] else Expect(403)
    return reverse(route.key, kwargs={"object_id": obj.pk}), expected


# --- Matching a route to its expected answers ----------------------------------------------


def rules_for(route: Walked) -> list[str]:
    matches = [f"table entry {route.key!r}"] if route.key in TABLE else []
    if is_admin(route):
        matches.append("admin rule")
    return matches


def routes() -> list[Walked]:
    return walk()


def test_every_route_has_exactly_one_expected_answer() -> None:
    problems = []
    for route in routes():
        matched = rules_for(route)
        if len(matched) != 1:
            problems.append(f"{route.key} ({route.pattern}): matched by {matched or 'nothing'}")
    stale = set(TABLE) - {route.key for route in routes()}
    problems += [f"{key}: in the table but no such route" for key in sorted(stale)]
    assert not problems, "\n".join(problems)


# --- Requests ---------------------------------------------------------------------------------


def _path(route: Walked, entry: Route, graph: Graph) -> str:
    with translation.override(LANGUAGE):
        path = reverse(route.key, kwargs=entry.kwargs(graph))
    return path + (f"?{entry.query}" if entry.query else "")


def _verdict(response: Any, expected: Expect) -> str | None:
    location = urlsplit(response.get("Location", "")).path
    if response.status_code != expected.status:
        return f"got {response.status_code} {location}, expected {expected}"
    if expected.status == 302 and expected.to is not None:
        if expected.to.startswith("/"):
            if location != expected.to:
                return f"redirected to {location}, expected {expected.to}"
            return None
        # Pages redirect in their language; the API and the webhook, outside the
        # language prefix, redirect in the language negotiated (French by default).
        targets = []
        for language in (LANGUAGE, settings.LANGUAGE_CODE):
            with translation.override(language):
                targets.append(reverse(expected.to))
        if not any(location.startswith(target) for target in targets):
            return f"redirected to {location}, expected {targets[0]}"
    return None


def _state(graph: Graph) -> dict[str, Any]:
    """Row counts of every model of the platform's apps and of the log, plus the
    fields the refused POSTs aim at."""
    counts: dict[str, Any] = {
        model._meta.label: model._default_manager.count()
        for app in ("contributors", "projects", "funds", "governance", "allocation", "librery")
        for model in apps.get_app_config(app).get_models()
    }
    watched = {
        "pledge": (graph.pledge, ("status", "amount_cents")),
        "payment_request": (graph.payment_request, ("status",)),
        "payment": (graph.payment, ("status", "amount_cents")),
        "line": (graph.line, ("status",)),
        "refund": (graph.refund, ("reviewed_at",)),
        "payout_account": (graph.payout_account, ("holder_name", "iban", "address")),
        "project": (graph.project, ("summary", "status")),
        "ballot": (graph.ballot, ("status",)),
    }
    for name, (obj, fields) in watched.items():
        row = type(obj)._default_manager.filter(pk=obj.pk).values(*fields).first()
        counts[name] = row
    return counts


def _requests(graph: Graph, persona: str) -> Iterator[tuple[str, str, Expect, Route | None]]:
    """(method, path, expected, entry) for every route, for one persona."""
    for route in routes():
        if is_admin(route):
            path, for_administrator = admin_request(route, graph)
            expected = {
                "administrator": for_administrator,
                "staff_without_totp": TOTP,
            }.get(persona, ADMIN_LOGIN)
            if route.key == "admin:login" and persona != "staff_without_totp":
                # allauth guards the admin's login: log in first; no staff, no entry.
                expected = {"anonymous": LOGIN, "administrator": HOME}.get(persona, FORBIDDEN)
            if route.key == "admin:logout" and persona not in {
                "administrator",
                "staff_without_totp",
            }:
                expected = Expect(302, "admin:index")
            yield "GET", path, expected, None
            continue
        entry = TABLE.get(route.key)
        if entry is None:
            continue  # test_every_route_has_exactly_one_expected_answer names it
        path = _path(route, entry, graph)
        yield "GET", path, entry.get[persona], entry
        if entry.post is not None and persona in entry.post:
            yield "POST", path, entry.post[persona], entry


@pytest.mark.parametrize("persona", PERSONAS)
def test_authorization_matrix(persona: str) -> None:
    graph = build_graph()
    client: Client = graph.client(persona)
    failures: list[str] = []
    checked = 0
    for method, path, expected, entry in _requests(graph, persona):
        checked += 1
        if method == "GET":
            response = client.get(path)
        else:
            assert entry is not None
            before = _state(graph)
            response = client.post(path, entry.data(graph))
            after = _state(graph)
            changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
            if changed:
                failures.append(f"POST {path}: changed {changed}")
        verdict = _verdict(response, expected)
        if verdict:
            failures.append(f"{method} {path}: {verdict}")
        elif response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            dangling = dangling_references(response.content.decode())
            if dangling:
                failures.append(f"{method} {path}: refers to no element: {', '.join(dangling)}")
    summary = f"{persona}: {checked} requests over {len(routes())} routes"
    print(summary)  # noqa: T201 -- the matrix size, in the test output
    assert not failures, summary + "\n" + "\n".join(failures)
