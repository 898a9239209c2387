"""SBOM-driven earmarks (issue 15): the real SBOMs of tests/data/sbom/ matched
against a seeded catalogue (the expected matches written by hand), the proposed
splits, the upload service, privacy and the pledge's link to its SBOM."""

from __future__ import annotations

import pytest

from contributors import services
from contributors.enums import PledgeFrequency, SplitMode
from contributors.models import Sbom, SbomProject
from contributors.sbom import SbomError, sbom_parse
from contributors.selectors_sbom import (
    earmarks_difference,
    project_sbom_contributors,
    projects_sbom_contributors,
    sbom_components,
    sbom_match,
    sbom_propose,
    sboms_of,
)
from contributors.services import EarmarkInput
from funds import services as fund_services
from librery.models import LogEntry
from tests.contributors.sbom_catalogue import (
    ASVS,
    BITCASTER,
    FLASK,
    YOUTUBE,
    sbom_bytes,
    seed_catalogue,
)
from tests.contributors.sbom_catalogue import person as sbom_person
from tests.factories import UserFactory
from tests.factories.contributors import EarmarkFactory, MembershipFactory, PledgeFactory

pytestmark = [pytest.mark.django_db]


def _names(matches):
    return [(m.project.name, sorted(c.purl_key for c in m.components)) for m in matches]


def test_asvs_matches_by_purl_prefix_and_repository(django_assert_num_queries):
    seed_catalogue()
    components = sbom_parse(sbom_bytes(ASVS)).components
    with django_assert_num_queries(1):
        matches = sbom_match(components)
    assert _names(matches.matched) == [
        ("Django", ["pypi/django"]),
        ("Django REST framework", ["pypi/djangorestframework"]),
        ("GitHub Actions", ["github/actions/checkout"]),
    ]
    assert _names(matches.not_admitted) == [
        (
            "CodeQL Action",
            [
                "github/github/codeql-action/analyze",
                "github/github/codeql-action/autobuild",
                "github/github/codeql-action/init",
            ],
        ),
        ("Pillow", ["pypi/pillow"]),
    ]
    assert len(matches.unmatched) == 17
    assert {"pypi/reportlab", "github/returntocorp/semgrep-action"} <= {
        c.purl_key for c in matches.unmatched
    }


def test_spdx_files_match_by_purl_and_by_the_home_page_repository():
    seed_catalogue()
    bitcaster = sbom_match(sbom_parse(sbom_bytes(BITCASTER)).components)
    assert _names(bitcaster.matched) == [
        ("aiohttp", ["pypi/aiohttp"]),  # its homepage is github.com/aio-libs/aiohttp
        ("Django", ["pypi/django"]),
        ("Django REST framework", ["pypi/djangorestframework"]),
        ("Requests", ["pypi/requests"]),
        ("urllib3", ["pypi/urllib3"]),
    ]
    assert _names(bitcaster.not_admitted) == [("Pillow", ["pypi/pillow"])]
    flask = sbom_match(sbom_parse(sbom_bytes(FLASK)).components)
    assert [(m.project.name, len(m.components)) for m in flask.matched] == [
        ("GitHub Actions", 10),
        ("Requests", 1),
        ("urllib3", 1),
    ]
    assert flask.not_admitted == []


def test_proposals_equal_by_components_and_direct_first():
    catalogue = seed_catalogue()
    youtube = sbom_match(sbom_parse(sbom_bytes(YOUTUBE)).components)
    assert [(m.project.name, m.direct) for m in youtube.matched] == [
        ("Requests", True),
        ("urllib3", False),
    ]

    def split(matches, mode, budget=5000):
        return [
            (e.project.name, e.share_bp) for e in sbom_propose(matches, mode=mode, budget_bp=budget)
        ]

    assert split(youtube.matched, SplitMode.DIRECT) == [("Requests", 3750), ("urllib3", 1250)]
    assert split(youtube.matched, SplitMode.EQUAL) == [("Requests", 2500), ("urllib3", 2500)]
    flask = sbom_match(sbom_parse(sbom_bytes(FLASK)).components)
    # 10, 1 and 1 components of 5000 bp: 4166.67, 416.67, 416.67; the two basis
    # points left go to the equal remainders by ascending project id.
    assert split(flask.matched, SplitMode.COMPONENTS) == [
        ("GitHub Actions", 4167),
        ("Requests", 417),
        ("urllib3", 416),
    ]
    asvs = sbom_match(sbom_parse(sbom_bytes(ASVS)).components)
    # Three equal shares of 5000 bp: the remainder to the lowest project ids.
    assert split(asvs.matched, SplitMode.EQUAL) == [
        ("Django", 1667),
        ("Django REST framework", 1667),
        ("GitHub Actions", 1666),
    ]
    assert catalogue["django"].pk < catalogue["drf"].pk < catalogue["actions"].pk
    # A budget smaller than the projects: who would get nothing is left out.
    assert split(asvs.matched, SplitMode.EQUAL, budget=2) == [
        ("Django", 1),
        ("Django REST framework", 1),
    ]
    assert split(asvs.matched, SplitMode.EQUAL, budget=0) == []
    assert split([], SplitMode.EQUAL) == []


def test_at_most_the_maximum_number_of_earmarks(monkeypatch):
    seed_catalogue()
    monkeypatch.setattr("contributors.selectors_sbom.MAX_EARMARKS", 1)
    flask = sbom_match(sbom_parse(sbom_bytes(FLASK)).components)
    proposal = sbom_propose(flask.matched, mode=SplitMode.COMPONENTS, budget_bp=5000)
    assert [(e.project.name, e.share_bp) for e in proposal] == [("GitHub Actions", 5000)]


def test_an_organisation_member_uploads_and_the_sbom_stays_private():
    seed_catalogue()
    membership = MembershipFactory.create()
    organisation, member = membership.contributor, membership.user
    colleague = MembershipFactory.create(contributor=organisation).user
    outsider = UserFactory.create()
    sbom = services.sbom_upload(
        user=member, contributor=organisation, raw=sbom_bytes(ASVS), filename="bom.json"
    )
    assert (sbom.format, sbom.spec_version, sbom.application, sbom.size_bytes) == (
        "CycloneDX",
        "1.5",
        "asvs",
        17965,
    )
    assert bytes(sbom.content) == sbom_bytes(ASVS)
    assert len(sbom_components(sbom)) == 24
    assert sorted(
        SbomProject.objects.filter(sbom=sbom).values_list("project__name", "components", "direct")
    ) == [
        ("CodeQL Action", 3, True),
        ("Django", 1, True),
        ("Django REST framework", 1, True),
        ("GitHub Actions", 1, True),
        ("Pillow", 1, True),
    ]
    assert LogEntry.objects.filter(action="contributors.sbom.uploaded").count() == 1
    # The same file again is the same SBOM.
    again = services.sbom_upload(
        user=colleague, contributor=organisation, raw=sbom_bytes(ASVS), filename="again.json"
    )
    assert again.pk == sbom.pk
    assert list(sboms_of(member)) == [sbom]
    assert list(sboms_of(colleague)) == [sbom]
    assert list(sboms_of(outsider)) == []
    assert list(sboms_of(UserFactory.create(is_staff=True))) == [sbom]
    with pytest.raises(services.ContributionError, match="do not act"):
        services.sbom_upload(
            user=outsider, contributor=organisation, raw=sbom_bytes(FLASK), filename="x.json"
        )
    with pytest.raises(SbomError):
        services.sbom_upload(user=member, contributor=organisation, raw=b"{}", filename="x.json")
    assert Sbom.objects.count() == 1


def test_the_pledge_remembers_the_sbom_and_a_newer_one_shows_the_difference():
    catalogue = seed_catalogue()
    person, user = sbom_person()
    first = services.sbom_upload(user=user, contributor=person, raw=sbom_bytes(ASVS), filename="a")
    proposal = sbom_propose(
        sbom_match(sbom_components(first)).matched, mode=SplitMode.EQUAL, budget_bp=5000
    )
    pledge = fund_services.pledge_submit(
        user=user,
        organisation=None,
        visibility="named",
        frequency=PledgeFrequency.MONTHLY,
        amount_cents=10_000,
        payment_method="bank_transfer",
        earmarks=[EarmarkInput(e.project.pk, e.share_bp) for e in proposal],
        idempotency_token="9b2f3c1e-1111-4a5b-9c8d-000000000001",
        sbom=first,
    )
    assert pledge.sbom == first
    newer = services.sbom_upload(
        user=user, contributor=person, raw=sbom_bytes(BITCASTER), filename="b"
    )
    proposed = sbom_propose(
        sbom_match(sbom_components(newer)).matched, mode=SplitMode.EQUAL, budget_bp=5000
    )
    difference = earmarks_difference(pledge=pledge, proposed=proposed)
    assert [(d.project.name, d.before_bp, d.after_bp) for d in difference] == [
        ("aiohttp", 0, 1000),
        ("Django", 1667, 1000),
        ("Django REST framework", 1667, 1000),
        ("Requests", 0, 1000),
        ("urllib3", 0, 1000),
        ("GitHub Actions", 1666, 0),
    ]
    fund_services.pledge_amend(
        pledge=pledge,
        actor=user,
        amount_cents=10_000,
        earmarks=[EarmarkInput(e.project.pk, e.share_bp) for e in proposed],
        sbom=newer,
    )
    pledge.refresh_from_db()
    assert pledge.sbom == newer
    assert dict(pledge.earmarks.values_list("project__name", "share_bp")) == {
        "aiohttp": 1000,
        "Django": 1000,
        "Django REST framework": 1000,
        "Requests": 1000,
        "urllib3": 1000,
    }
    change = pledge.changes.last()
    assert change is not None
    assert change.data["after"]["sbom_id"] == newer.pk
    # Someone else's SBOM cannot be linked.
    stranger, stranger_user = sbom_person()
    theirs = services.sbom_upload(
        user=stranger_user, contributor=stranger, raw=sbom_bytes(FLASK), filename="c"
    )
    with pytest.raises(services.ContributionError, match="another contributor"):
        fund_services.pledge_amend(
            pledge=pledge, actor=user, amount_cents=10_000, earmarks=[], sbom=theirs
        )
    assert catalogue["qgis"].pk not in {d.project.pk for d in difference}


def test_aggregates_count_contributors_not_files():
    catalogue = seed_catalogue()
    (first, first_user), (second, second_user) = sbom_person(), sbom_person()
    for raw in (ASVS, BITCASTER):
        services.sbom_upload(user=first_user, contributor=first, raw=sbom_bytes(raw), filename="")
    services.sbom_upload(user=second_user, contributor=second, raw=sbom_bytes(FLASK), filename="")
    assert project_sbom_contributors(project=catalogue["django"]) == 1
    assert project_sbom_contributors(project=catalogue["requests"]) == 2
    assert project_sbom_contributors(project=catalogue["qgis"]) == 0
    counted = [(p.name, p.sbom_contributors) for p in projects_sbom_contributors()]  # type: ignore[attr-defined]
    assert counted[:3] == [
        ("GitHub Actions", 2),
        ("Requests", 2),
        ("urllib3", 2),
    ]
    pledge = PledgeFactory.create(contributor=first)
    EarmarkFactory.create(pledge=pledge, project=catalogue["django"], share_bp=100)
    assert earmarks_difference(pledge=pledge, proposed=[])[0].before_bp == 100
