"""Contributors and projects counted by row triggers (contributors 0010, projects
0011, `librery.migration_operations.keep_counts`), on both databases: whoever
writes (a service, a factory, a bulk insert, a raw UPDATE or DELETE), the counts
the pages read equal the rows counted afresh."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from contributors.enums import ContributorKind, Visibility
from contributors.models import Contributor
from contributors.selectors import contributor_counts
from contributors.services.people import person_contributor_for
from projects.enums import ProjectStatus
from projects.models import Project, ProjectCount
from projects.selectors import project_counts
from tests.factories import ContributorFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def _contributors_counted_afresh() -> dict[str, int]:
    found = dict(Contributor.objects.order_by().values_list("visibility").annotate(n=Count("id")))
    return {visibility: found.get(visibility, 0) for visibility in Visibility.values}


def _projects_counted_afresh() -> dict[tuple[str, str], int]:
    return {
        (status, source): n
        for status, source, n in Project.objects.order_by()
        .values_list("status", "source")
        .annotate(n=Count("id"))
    }


def _projects_kept() -> dict[tuple[str, str], int]:
    return {
        (status, source): total
        for status, source, total in ProjectCount.objects.values_list("status", "source", "total")
        if total
    }


def test_contributor_counts_follow_every_write() -> None:
    assert contributor_counts() == {"named": 0, "anonymous": 0, "secret": 0}
    user = UserFactory.create()
    person = person_contributor_for(user=user, visibility=Visibility.NAMED)
    ContributorFactory.create_batch(3, visibility=Visibility.SECRET)
    Contributor.objects.bulk_create(
        Contributor(kind=ContributorKind.PERSON, name=f"Bulk {n}", visibility=Visibility.ANONYMOUS)
        for n in range(4)
    )
    assert contributor_counts() == {"named": 1, "anonymous": 4, "secret": 3}
    person_contributor_for(user=user, visibility=Visibility.SECRET)  # a change of appearance
    assert contributor_counts() == {"named": 0, "anonymous": 4, "secret": 4}
    Contributor.objects.filter(visibility=Visibility.ANONYMOUS).update(visibility=Visibility.NAMED)
    Contributor.objects.filter(pk=person.pk).update(name="Renamed")  # not a counted column
    Contributor.objects.filter(name="Bulk 0").delete()
    assert contributor_counts() == {"named": 3, "anonymous": 0, "secret": 4}
    assert contributor_counts() == _contributors_counted_afresh()


def test_a_rolled_back_write_leaves_the_counts_as_they_were() -> None:
    ContributorFactory(visibility=Visibility.NAMED)
    with transaction.atomic():
        ContributorFactory.create_batch(2, visibility=Visibility.NAMED)
        transaction.set_rollback(True)
    assert contributor_counts()["named"] == 1


def test_project_counts_follow_status_and_source() -> None:
    for ref in ("1", "2"):
        ProjectFactory(status=ProjectStatus.ADMITTED, source="sill-2020", source_ref=ref)
    proposed = ProjectFactory.create(status=ProjectStatus.PROPOSED, source="")
    ProjectFactory(status=ProjectStatus.SUSPENDED, source="")
    assert project_counts() == {
        "total": 4,
        "from_sill": 2,
        **dict.fromkeys(ProjectStatus.values, 0),
        "admitted": 2,
        "proposed": 1,
        "suspended": 1,
    }
    Project.objects.filter(pk=proposed.pk).update(
        status=ProjectStatus.ADMITTED, source="manual", source_ref="3"
    )
    Project.objects.filter(source="sill-2020").update(source="")  # refs "1" and "2": unique
    Project.objects.filter(status=ProjectStatus.SUSPENDED).delete()
    counts = project_counts()
    assert (counts["total"], counts["admitted"], counts["proposed"], counts["from_sill"]) == (
        3,
        3,
        0,
        0,
    )
    assert _projects_kept() == _projects_counted_afresh()


def test_the_pages_read_a_few_rows_in_one_query_each() -> None:
    ContributorFactory.create_batch(5)
    ProjectFactory.create_batch(5)
    with CaptureQueriesContext(connection) as queries:
        contributor_counts()
        project_counts()
    assert len(queries) == 2
    assert all("COUNT(" not in query["sql"].upper() for query in queries)


def test_the_migrations_count_the_rows_already_there() -> None:
    ContributorFactory.create_batch(2, visibility=Visibility.ANONYMOUS)
    ProjectFactory.create_batch(3, status=ProjectStatus.ADMITTED, source="")
    for module, operation_table in (
        ("contributors.migrations.0010_counts", "contributors_contributorcount"),
        ("projects.migrations.0011_counts", "projects_projectcount"),
    ):
        operation = importlib.import_module(module).Migration.operations[-1]
        editor = SimpleNamespace(connection=connection)
        operation.reverse_code(None, editor)  # the triggers dropped, the counts emptied
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {operation_table}")  # noqa: S608 -- fixed
            assert cursor.fetchone() == (0,)
        ContributorFactory(visibility=Visibility.SECRET)  # not counted: no trigger now
        operation.code(None, editor)  # triggers again, the counts filled from the rows
    assert contributor_counts() == _contributors_counted_afresh()
    assert contributor_counts()["secret"] == 2
    assert _projects_kept() == _projects_counted_afresh()
    ContributorFactory(visibility=Visibility.SECRET)  # counted again
    assert contributor_counts()["secret"] == 3
