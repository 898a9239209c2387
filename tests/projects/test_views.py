from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from projects.enums import ProjectStatus
from tests.factories import MaintainershipFactory, ProjectFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.mark.parametrize("count", [1, 3, 30])
def test_project_list_queries_do_not_grow(
    anonymous: Client, django_assert_max_num_queries: Any, count: int
) -> None:
    ProjectFactory.create_batch(count)
    with django_assert_max_num_queries(2):
        response = anonymous.get("/en/projects/")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == count


def test_project_list_search_filter_and_attribution(anonymous: Client) -> None:
    ProjectFactory.create(name="Qgis", summary="Maps", status=ProjectStatus.ADMITTED)
    ProjectFactory.create(name="VLC", summary="Video")
    response = anonymous.get("/en/projects/", {"q": "map", "status": "admitted"})
    names = [p.name for p in response.context["page"].object_list]
    assert names == ["Qgis"]
    assert "SILL 2020" in response.text
    assert "Licence Ouverte 2.0" in response.text


def test_bad_filter_values_are_ignored_not_errors(anonymous: Client) -> None:
    ProjectFactory.create_batch(2)
    response = anonymous.get("/en/projects/", {"status": "nonsense", "page": "abc"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 2


def test_project_page_shows_public_maintainers_only(anonymous: Client) -> None:
    public = MaintainershipFactory.create(user__display_name="Public Maintainer", is_public=True)
    MaintainershipFactory.create(
        project=public.project, user__display_name="Hidden Maintainer", is_public=False
    )
    response = anonymous.get(f"/en/projects/{public.project.slug}/")
    assert "Public Maintainer" in response.text
    assert "Hidden Maintainer" not in response.text
    assert anonymous.get("/en/projects/no-such-project/").status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_api_project_list(anonymous: Client, django_assert_num_queries: Any, count: int) -> None:
    ProjectFactory.create_batch(count)
    with django_assert_num_queries(2):
        response = anonymous.get("/api/v1/projects/")
    assert response.status_code == 200
    assert response.json()["count"] == count
    slug = response.json()["results"][0]["slug"]
    detail = anonymous.get(f"/api/v1/projects/{slug}/")
    assert detail.json()["slug"] == slug


def test_api_catalogue_is_read_only(contributor: Client) -> None:
    project = ProjectFactory.create()
    response = contributor.post("/api/v1/projects/", {"name": "x"})
    assert response.status_code == 405
    patched = contributor.patch(
        f"/api/v1/projects/{project.slug}/", {"status": "admitted"}, content_type="application/json"
    )
    assert patched.status_code == 405


def test_openapi_schema_is_served(anonymous: Client) -> None:
    response = anonymous.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/projects/" in response.json()["paths"]
