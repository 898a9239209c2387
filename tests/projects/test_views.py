from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.postgres.lookups import TrigramWordSimilar
from django.db import connection, transaction
from django.db.models import F
from django.test import Client

from contributors.enums import PledgeStatus
from contributors.models import Earmark, Pledge
from contributors.selectors import project_public_contributors
from funds.charts import funds_chart
from funds.selectors import MonthlyFunds
from projects import services
from projects.enums import ProjectStatus
from projects.models import Project
from projects.selectors import project_list
from tests.factories import ContributorFactory, MaintainershipFactory, ProjectFactory
from tests.factories.contributors import EarmarkFactory, PledgeFactory
from tests.factories.projects import PayoutAccountFactory, ProjectUsageFactory
from tests.ledger import allocate, pay_out
from tests.services import is_postgresql, need

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PARIS = ZoneInfo("Europe/Paris")


def _paris(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


@pytest.mark.parametrize("count", [1, 3, 30])
def test_project_list_queries_do_not_grow(
    anonymous: Client, django_assert_max_num_queries: Any, count: int
) -> None:
    ProjectFactory.create_batch(count)
    with django_assert_max_num_queries(2):
        response = anonymous.get("/en/projects/")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == count


def test_the_filters_kept_rendered_show_each_query_in_its_language(anonymous: Client) -> None:
    """The filters form is kept rendered by query string and language."""
    first = anonymous.get("/en/projects/", {"q": "alpha"}).text
    second = anonymous.get("/en/projects/", {"q": "beta"}).text
    french = anonymous.get("/projects/", {"q": "beta"}).text
    assert 'value="alpha"' in first
    assert 'value="beta"' not in first
    assert 'value="beta"' in second
    assert ">Search<" in second
    assert ">Rechercher<" in french


@pytest.mark.parametrize("count", [1, 3, 30])
def test_project_list_by_most_funded_queries_do_not_grow(
    anonymous: Client, django_assert_num_queries: Any, count: int
) -> None:
    projects = ProjectFactory.create_batch(count)
    for number, project in enumerate(projects, start=1):
        allocate(f"run-{number}", _paris(2026, 1 + number % 12, 10), (project, 100 * number))
        pay_out(f"payout-{number}", _paris(2026, 1 + number % 12, 20), project, 100 * number)
    with django_assert_num_queries(2):
        response = anonymous.get("/en/projects/", {"sort": "funded"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == count
    shown = response.context["page"].object_list
    assert [p.received_cents for p in shown] == [100 * n for n in range(count, 0, -1)][:24]


def test_most_funded_lists_by_total_received_then_name(anonymous: Client) -> None:
    big = ProjectFactory.create(name="Zeta")
    small = ProjectFactory.create(name="Alpha")
    paid_out = ProjectFactory.create(name="Mu")
    ProjectFactory.create(name="Beta")
    ProjectFactory.create(name="Gamma")
    allocate("run-1", _paris(2026, 1, 10), (big, 90_000), (small, 1), (paid_out, 5_000))
    allocate("run-2", _paris(2026, 2, 10), (big, 10_000), (small, 5_000))
    pay_out("payout-1", _paris(2026, 2, 20), big, 100_000)  # leaves "most funded" alone
    pay_out("payout-2", _paris(2026, 2, 20), paid_out, 5_000)

    response = anonymous.get("/en/projects/", {"sort": "funded"})
    rows = [(p.name, p.received_cents) for p in response.context["page"].object_list]
    assert rows == [
        ("Zeta", 100_000),
        ("Alpha", 5_001),
        ("Mu", 5_000),
        ("Beta", 0),
        ("Gamma", 0),
    ]
    assert "Received (EUR)" in response.text
    assert '<td class="align-right">€1,000.00</td>' in response.text
    assert "1\u202f000,00\xa0€" in anonymous.get("/projects/", {"sort": "funded"}).text
    by_name = anonymous.get("/en/projects/", {"sort": "name"})
    assert "Received (EUR)" not in by_name.text
    api = anonymous.get("/api/v1/projects/", {"sort": "funded"}).json()
    assert [p["name"] for p in api["results"]] == ["Zeta", "Alpha", "Mu", "Beta", "Gamma"]


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


def test_list_filters_by_tag_licence_public_bodies_and_sorts(anonymous: Client) -> None:
    old = ProjectFactory.create(name="Alpha", tags=["maps"], licences=["MIT"])
    new = ProjectFactory.create(name="Beta", tags=["video"], licences=["GPL-3.0-only"])
    ProjectUsageFactory.create(project=new, is_public_body=True)
    ProjectUsageFactory.create(project=old, is_public_body=False)

    def names(**params: str) -> list[str]:
        response = anonymous.get("/en/projects/", params)
        assert response.status_code == 200
        return [p.name for p in response.context["page"].object_list]

    assert names(tag="maps") == ["Alpha"]
    assert names(licence="GPL-3.0-only") == ["Beta"]
    assert names(public_bodies="on") == ["Beta"]
    badge = '<span class="badge badge--neutral">{}</span>'
    english = anonymous.get("/en/projects/").text
    assert english.count(badge.format("Used by public bodies")) == 1
    french = anonymous.get("/projects/").text
    assert french.count(badge.format("Utilisé par des organismes publics")) == 1
    assert names(sort="newest") == ["Beta", "Alpha"]
    assert names(sort="name") == ["Alpha", "Beta"]
    funded = anonymous.get("/en/projects/", {"sort": "funded"})
    assert [p.name for p in funded.context["page"].object_list] == ["Alpha", "Beta"]  # ties
    assert "by name" not in funded.text


def _found(client: Client, query: str) -> list[str]:
    """The names the English catalogue lists for `query`."""
    return [p.name for p in client.get("/en/projects/", {"q": query}).context["page"]]


def test_full_text_search_reads_descriptions_in_both_languages(anonymous: Client) -> None:
    need(is_postgresql(), "stemmed full-text search needs PostgreSQL")
    ProjectFactory.create(name="Carto", description="Un logiciel de cartographie libre.")
    ProjectFactory.create(name="Tube", description_en="Plays videos and streams.")
    ProjectFactory.create(name="Other", summary="Something else")

    assert _found(anonymous, "cartographies") == ["Carto"]
    assert _found(anonymous, "video") == ["Tube"]


def test_a_typo_in_a_name_still_finds_the_project(anonymous: Client) -> None:
    need(is_postgresql(), "trigram similarity needs PostgreSQL's pg_trgm")
    ProjectFactory.create(name="Nextcloud", summary="Fichiers")
    ProjectFactory.create(name="LibreOffice", summary="Bureautique")
    ProjectFactory.create(name="Moodle", summary="Cours")

    assert _found(anonymous, "nextclud") == ["Nextcloud"]
    assert _found(anonymous, "libreofice") == ["LibreOffice"]
    assert _found(anonymous, "zzqx") == []


def test_names_close_to_a_query_are_sought_only_when_its_words_match_nothing(
    anonymous: Client, django_assert_num_queries: Any
) -> None:
    need(is_postgresql(), "trigram similarity needs PostgreSQL's pg_trgm")
    ProjectFactory.create(name="Nextcloud", summary="Fichiers")
    ProjectFactory.create(name="Mirror", summary="Un miroir de nextclud.example")

    # The words match the second project's summary: the name one typo away is
    # not listed beside it.
    assert _found(anonymous, "nextclud") == ["Mirror"]
    assert _found(anonymous, "nextclod") == ["Nextcloud"]
    # Whether the words match anything, then the paginator's count and page.
    with django_assert_num_queries(3):
        found = project_list(query="nextclud")
        assert found.count() == 1
        assert [p.name for p in found[:24]] == ["Mirror"]


def test_the_name_typo_condition_has_its_trigram_index() -> None:
    need(is_postgresql(), "trigram indexes and EXPLAIN plans are PostgreSQL's")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = Project.objects.filter(TrigramWordSimilar(F("name"), "nextclud")).explain()
    assert "project_name_trigram_idx" in plan


def test_a_part_of_a_word_is_found_in_the_name_or_a_summary_in_any_case(
    anonymous: Client,
) -> None:
    need(is_postgresql(), "the stored text in capitals and its trigram index are PostgreSQL's")
    ProjectFactory.create(name="Élan cartographique", summary="Un outil", summary_en="")
    ProjectFactory.create(name="Tube", summary="Vidéo", summary_en="Streaming for schools")
    ProjectFactory.create(name="Under_score", summary="Rien", summary_en="")
    ProjectFactory.create(name="Plain", summary="Cent pour 100", summary_en="")

    assert _found(anonymous, "CARTOgraph") == ["Élan cartographique"]
    assert _found(anonymous, "élan") == ["Élan cartographique"]
    assert _found(anonymous, "ÉLAN") == ["Élan cartographique"]
    assert _found(anonymous, "eaming for sch") == ["Tube"]
    assert _found(anonymous, "vidé") == ["Tube"]
    # LIKE's wildcards in the query are letters like the others.
    assert _found(anonymous, "t_be") == []
    assert _found(anonymous, "r_s") == ["Under_score"]
    assert _found(anonymous, "%") == []


def test_a_project_edited_is_found_by_its_new_texts_only(anonymous: Client) -> None:
    need(is_postgresql(), "the stored text in capitals is PostgreSQL's")
    maintainer = MaintainershipFactory.create(
        project__name="Ancien", project__summary="Tableur", project__summary_en=""
    )
    ProjectFactory.create(name="Other", summary="Autre", summary_en="")
    assert _found(anonymous, "tableu") == ["Ancien"]
    assert _found(anonymous, "processi") == []

    services.project_update(
        project=maintainer.project,
        actor=maintainer.user,
        values={"summary": "Traitement de texte", "summary_en": "Word processing"},
    )

    assert _found(anonymous, "tableu") == []
    assert _found(anonymous, "ment de tex") == ["Ancien"]
    assert _found(anonymous, "processi") == ["Ancien"]
    assert _found(anonymous, "ancie") == ["Ancien"]


def test_a_search_reads_its_indexes_not_every_project() -> None:
    need(is_postgresql(), "trigram indexes and EXPLAIN plans are PostgreSQL's")
    ProjectFactory.create(name="Cartes", summary="Cartographie", summary_en="")
    ProjectFactory.create_batch(3)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # What the paginator counts: every project the words match.
        plan = project_list(query="carto").order_by().explain()
    assert "project_search_text_idx" in plan
    assert "project_search_vector_idx" in plan
    assert "Seq Scan on projects_project" not in plan


def test_a_catalogue_page_is_read_in_the_index_order() -> None:
    need(is_postgresql(), "the ICU collation and EXPLAIN plans are PostgreSQL's")
    ProjectFactory.create_batch(3)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = project_list()[:24].explain()
    # The index gives the catalogue's order: nothing left to sort.
    assert "project_by_name_idx" in plan
    assert "Sort" not in plan


def test_pagination_keeps_the_filters(anonymous: Client) -> None:
    ProjectFactory.create_batch(26, tags=["maps"])
    response = anonymous.get("/en/projects/", {"tag": "maps"})
    assert 'href="?tag=maps&amp;page=2"' in response.text
    second = anonymous.get("/en/projects/", {"tag": "maps", "page": "2"})
    assert len(second.context["page"].object_list) == 2


def test_summary_follows_the_language_with_fallback(anonymous: Client) -> None:
    ProjectFactory.create(name="Both", summary="Résumé", summary_en="Summary")
    ProjectFactory.create(name="French only", summary="Seulement", summary_en="")
    english = anonymous.get("/en/projects/").text
    french = anonymous.get("/projects/").text
    assert "Summary" in english
    assert "Résumé" not in english
    assert "Seulement" in english
    assert "Résumé" in french


@pytest.mark.parametrize("count", [1, 3, 12, 40])
def test_project_page_queries_do_not_grow(
    anonymous: Client, django_assert_max_num_queries: Any, count: int
) -> None:
    project = ProjectFactory.create()
    for number in range(count):  # `count` months of allocations, each paid out after
        at = _paris(2023 + number // 12, number % 12 + 1, 10)
        allocate(f"run-{number}", at, (project, 1_000 + number))
        pay_out(f"payout-{number}", at + timedelta(days=5), project, 1_000 + number)
    MaintainershipFactory.create_batch(count, project=project, is_public=True)
    ProjectUsageFactory.create_batch(count, project=project)
    for number in range(count):
        services.project_transition(
            project=project,
            to_status=ProjectStatus.ADMITTED if number % 2 == 0 else ProjectStatus.SUSPENDED,
            actor=None,
            reference=f"GB-{number}",
        )
    for pledge_status in ("active", "completed", "awaiting_payment")[: count % 4]:
        EarmarkFactory.create(
            project=project,
            pledge__status=pledge_status,
            pledge__contributor__name=f"Named {pledge_status}",
        )
    # 6, the project's payouts and the balance waiting for the next batch, what
    # the monthly allocations gave (their contributors are one query more when a
    # run gave any: none here) and the earmarked money waiting for the next one.
    # The public contributors' page, with their count, and the contributors whose
    # SBOMs hold the project counted; the books' stamp, under which the money
    # sections stay rendered: 12 queries at most whatever the history.
    with django_assert_max_num_queries(12):
        response = anonymous.get(f"/en/projects/{project.slug}/")
    assert response.status_code == 200
    # Once rendered, the money sections (the funds per month, payouts, balance,
    # allocations and earmarks waiting: 5 queries) are kept until the books move.
    with django_assert_max_num_queries(7):
        again = anonymous.get(f"/en/projects/{project.slug}/")
    assert again.text == response.text
    assert len(response.context["maintainers"]) == count
    assert len(response.context["decisions"]) == count
    assert len(response.context["money"].months) == count
    assert response.text.count('class="received-chart__bar"') == count


def test_project_page_shows_history_usages_and_no_invented_funds(
    anonymous: Client, administrator_user: Any
) -> None:
    project = ProjectFactory.create(licences=["MIT", "MPL 2.0 et EPL"])
    ProjectUsageFactory.create(project=project, organisation="Ville de Paris", is_public_body=True)
    services.project_admit(project=project, actor=administrator_user, reference="GB-2026-01")
    response = anonymous.get(f"/en/projects/{project.slug}/")
    assert "GB-2026-01" in response.text
    assert "Ville de Paris (public body)" in response.text
    assert "No funds received yet." in response.text
    assert "Not an SPDX identifier: MPL 2.0 et EPL" in response.text
    assert response.context["money"].months == []


def test_api_search_and_filters(anonymous: Client) -> None:
    ProjectFactory.create(name="Carto", tags=["maps"], status=ProjectStatus.ADMITTED)
    ProjectFactory.create(name="Tube", tags=["video"])
    body = anonymous.get("/api/v1/projects/", {"tag": "maps", "status": "admitted"}).json()
    assert [p["name"] for p in body["results"]] == ["Carto"]
    assert anonymous.get("/api/v1/projects/", {"q": "tube"}).json()["count"] == 1
    assert anonymous.get("/api/v1/projects/", {"status": "nonsense"}).json()["count"] == 2


def test_api_my_projects_masks_the_iban(
    maintainer: Client, anonymous: Client, maintainer_user: Any
) -> None:
    project = maintainer_user.maintainerships.get().project
    PayoutAccountFactory.create(project=project)
    rows = maintainer.get("/api/v1/projects/mine/").json()
    assert rows == [
        {
            "slug": project.slug,
            "name": project.name,
            "status": "proposed",
            "role": "owner",
            "is_public": True,
            "payout_account_iban": "FR76 •••• •••• •••• •••• •••• 189",
            "payout_account_status": "unverified",
        }
    ]
    assert anonymous.get("/api/v1/projects/mine/").status_code in {401, 403}


def test_api_schema_lists_the_project_endpoints(anonymous: Client) -> None:
    schema = anonymous.get("/api/schema/").text
    assert "/api/v1/projects/mine/" in schema
    assert "/api/v1/projects/manifests/" in schema
    assert "public_bodies" in schema


def test_funds_chart_and_table_read_the_ledger_selector_when_it_exists(
    anonymous: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The contract with the funds side: (month, cents) pairs, shown as chart and table."""
    from datetime import date  # noqa: PLC0415 -- only this test

    from funds import selectors as funds_selectors  # noqa: PLC0415 -- only this test

    project = ProjectFactory.create()

    def received(*, project: object) -> list[tuple[date, int]]:
        return [(date(2026, 9, 1), 123_456), (date(2026, 10, 1), 5)]

    monkeypatch.setattr(funds_selectors, "project_received_by_month", received, raising=False)
    response = anonymous.get(f"/en/projects/{project.slug}/")
    assert "No funds received yet." not in response.text
    # The largest month fills the plot (160 units); 5 cents still shows, one unit high.
    assert 'x="14" y="24" width="28" height="160"><title>September 2026: €1,234.56' in (
        response.text
    )
    assert 'x="54" y="183" width="28" height="1"><title>October 2026: €0.05' in response.text
    assert "1,234.56" in response.text
    assert "0.05" in response.text
    french = anonymous.get(f"/projects/{project.slug}/")
    assert "1\u202f234,56\xa0€" in french.text


def test_public_contributors_are_named_paid_earmarkers_only(anonymous: Client) -> None:
    project = ProjectFactory.create(status=ProjectStatus.ADMITTED)
    EarmarkFactory.create(
        project=project, pledge__status="active", pledge__contributor__name="Ville de Nantes"
    )
    EarmarkFactory.create(
        project=project,
        pledge__status="active",
        pledge__contributor__name="Secret Donor",
        pledge__contributor__visibility="secret",
    )
    EarmarkFactory.create(
        project=project,
        pledge__status="awaiting_payment",
        pledge__contributor__name="Not Yet Paid",
    )
    response = anonymous.get(f"/en/projects/{project.slug}/")
    assert [c.name for c in response.context["contributors"]] == ["Ville de Nantes"]
    assert "Secret Donor" not in response.text
    # The name they chose, not the database's number for them.
    nantes = response.context["contributors"][0]
    assert "<li>Ville de Nantes</li>" in response.text
    assert f"#{nantes.pk}" not in response.text


@pytest.mark.django_db(transaction=True)  # VACUUM runs outside a transaction
def test_a_project_s_public_contributors_are_read_from_its_earmarks_indexes() -> None:
    need(is_postgresql(), "EXPLAIN plans are PostgreSQL's")
    project, other = ProjectFactory.create_batch(2, status=ProjectStatus.ADMITTED)
    giver = ContributorFactory.create()
    # A fund with many pledges, of which the project has a few: its page reads
    # those, not every pledge (a sequential scan of them all, until these indexes).
    pledges = Pledge.objects.bulk_create(
        PledgeFactory.build(contributor=giver, status=PledgeStatus.ACTIVE) for _ in range(4_000)
    )
    Earmark.objects.bulk_create(
        Earmark(pledge=pledge, project=project if n % 100 == 0 else other, share_bp=5_000)
        for n, pledge in enumerate(pledges)
    )
    with connection.cursor() as cursor:
        # What autovacuum does to a table written a while ago: its statistics, and
        # the map that lets the planner read a row's columns from an index alone.
        cursor.execute("VACUUM ANALYZE contributors_earmark, contributors_pledge")
    plan = project_public_contributors(project=project)[:50].explain()
    assert "earmark_by_project" in plan
    assert "pledge_paid_contributor" in plan
    assert "Seq Scan on contributors_pledge" not in plan
    assert list(project_public_contributors(project=project)) == [giver]


def test_public_contributors_come_a_page_at_a_time(anonymous: Client) -> None:
    project = ProjectFactory.create(status=ProjectStatus.ADMITTED)
    for number in range(53):
        EarmarkFactory.create(
            project=project,
            pledge__status="active",
            pledge__contributor__name=f"Giver {number:02d}",
        )
    first = anonymous.get(f"/en/projects/{project.slug}/")
    assert "53 contributors have chosen to appear by name." in first.text
    assert [c.name for c in first.context["contributors"]] == [f"Giver {n:02d}" for n in range(50)]
    assert 'href="?contributors=2#contributors-title"' in first.text
    second = anonymous.get(f"/en/projects/{project.slug}/?contributors=2")
    assert [c.name for c in second.context["contributors"]] == ["Giver 50", "Giver 51", "Giver 52"]
    assert "Giver 00" not in second.text


def test_project_page_shows_real_journals_per_paris_month(anonymous: Client) -> None:
    project = ProjectFactory.create(status=ProjectStatus.ADMITTED)
    other = ProjectFactory.create()
    # 23:30 on 31 January in Paris is 22:30 UTC: January, whatever UTC says next.
    allocate("run-jan", _paris(2026, 1, 31, 23, 30), (project, 120_000), (other, 999))
    allocate("run-apr", _paris(2026, 4, 1, 0, 5), (project, 3_456))  # 22:05 UTC on 31 March
    allocate("run-apr-2", _paris(2026, 4, 30, 9), (project, 44))
    pay_out("payout-1", _paris(2026, 2, 10), project, 120_000)

    response = anonymous.get(f"/en/projects/{project.slug}/")
    assert response.context["money"].months == [
        MonthlyFunds(date(2026, 1, 1), 120_000),
        MonthlyFunds(date(2026, 2, 1), 0),  # a month without money keeps its place
        MonthlyFunds(date(2026, 3, 1), 0),
        MonthlyFunds(date(2026, 4, 1), 3_500),
    ]
    text = response.text
    assert "Received in total: €1,235.00" in text
    assert text.count('class="received-chart__bar"') == 4
    assert 'role="img" aria-labelledby="funds-chart-title funds-chart-desc"' in text
    assert (
        "From January 2026 to April 2026; the largest month is January 2026, with €1,200.00."
        in text
    )
    assert '<td>February 2026</td><td class="align-right">€0.00</td>' in text
    assert '<td>April 2026</td><td class="align-right">€35.00</td>' in text
    assert '<th scope="row">Total</th><td class="align-right">€1,235.00</td>' in text
    assert "style=" not in text.split('id="funds-title"')[1].split("</section>")[0]
    french = anonymous.get(f"/projects/{project.slug}/").text
    assert '<td>janvier 2026</td><td class="align-right">1\u202f200,00\xa0€</td>' in french


def test_a_single_month_is_described_on_its_own(anonymous: Client) -> None:
    project = ProjectFactory.create()
    allocate("run-1", _paris(2026, 6, 15), (project, 2_500))
    text = anonymous.get(f"/en/projects/{project.slug}/").text
    assert "One month, June 2026: €25.00. The table below gives the same figure." in text
    assert "No funds received yet." not in text


def test_funds_chart_geometry() -> None:
    assert funds_chart(months=[]) is None
    months = [
        MonthlyFunds(date(2025, 11, 1), 80),
        MonthlyFunds(date(2025, 12, 1), 0),
        MonthlyFunds(date(2026, 1, 1), 160),
        MonthlyFunds(date(2026, 2, 1), 1),
    ]
    chart = funds_chart(months=months)
    assert chart is not None
    assert [(b.x, b.y, b.height) for b in chart.bars] == [
        (14, 104, 80),
        (54, 184, 0),
        (94, 24, 160),
        (134, 183, 1),
    ]
    assert [b.show_year for b in chart.bars] == [True, False, True, False]
    assert (chart.width, chart.height, chart.baseline) == (240, 224, 184)
    assert chart.total_cents == 241
    assert chart.largest == months[2]
    assert not chart.is_long
    many = [MonthlyFunds(date(2020 + n // 12, n % 12 + 1, 1), 10**12) for n in range(25)]
    long_chart = funds_chart(months=many)
    assert long_chart is not None
    assert long_chart.is_long
    assert long_chart.width == 16 + 25 * 40
