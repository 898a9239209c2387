"""Rate limits (issue 9, finding 10): keyed on the client address our reverse
proxies saw (never on a header the client wrote), per user for the platform's
own costly actions, each answering 429 over its limit without doing anything."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from pytest_django.fixtures import SettingsWrapper

from contributors.models import Contributor, MembershipInvitation, Pledge, User
from contributors.services import organisation_create
from librery.ratelimits import Rate, client_ip, parse_rate, rate_limit_hit
from projects.models import FundingEntity, Project, ProjectClaim
from tests.factories import ProjectFactory, UserFactory
from tests.projects.conftest import FUNDING_JSON_DIR

ROOT = Path(__file__).resolve().parents[2]
MESSAGE = "You have done this too many times in a short while. Please wait and try again."
PROXY = "10.0.0.1"


@pytest.fixture(autouse=True)
def _mid_window() -> Iterator[None]:
    """Counters are per fixed window (an hour here): start half an hour into
    one, so that no test crosses into the next while it counts."""
    with time_machine.travel(datetime(2026, 11, 30, 12, 30, tzinfo=UTC), tick=True):
        yield


def _request(forwarded: str | None = None, remote: str = PROXY) -> Any:
    extra: dict[str, Any] = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory(**extra).post("/")
    request.user = AnonymousUser()
    return request


# --- The client address -------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "forwarded", "remote", "expected"),
    [
        pytest.param(0, "203.0.113.7", PROXY, PROXY, id="no-proxy-header-ignored"),
        pytest.param(0, None, "198.51.100.2", "198.51.100.2", id="no-proxy-direct"),
        pytest.param(1, "203.0.113.7", PROXY, "203.0.113.7", id="one-proxy"),
        pytest.param(1, "6.6.6.6, 203.0.113.7", PROXY, "203.0.113.7", id="one-proxy-spoofed"),
        pytest.param(2, "6.6.6.6, 203.0.113.7, 10.0.0.2", PROXY, "203.0.113.7", id="two"),
        pytest.param(2, "203.0.113.7", PROXY, PROXY, id="fewer-hops-than-proxies"),
        pytest.param(1, None, PROXY, PROXY, id="one-proxy-no-header"),
        pytest.param(1, "6.6.6.6, not-an-address", PROXY, PROXY, id="garbage"),
        pytest.param(1, "2001:db8::1", PROXY, "2001:db8::1", id="ipv6"),
    ],
)
def test_the_client_address_is_what_our_proxies_saw(
    settings: SettingsWrapper, count: int, forwarded: str | None, remote: str, expected: str
) -> None:
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(_request(forwarded, remote)) == expected


def test_behind_one_proxy_two_clients_count_apart(settings: SettingsWrapper) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LIBRERY_RATE_LIMITS = {"probe": "2/h"}
    first = [rate_limit_hit(_request("203.0.113.7"), "probe") for _n in range(3)]
    # The client writes what it likes before the proxy's entry: it stays itself.
    spoofed = rate_limit_hit(_request("6.6.6.6, 203.0.113.7"), "probe")
    second = [rate_limit_hit(_request("203.0.113.8"), "probe") for _n in range(2)]
    assert (first, spoofed, second) == ([True, True, False], False, [True, True])


def test_without_a_trusted_proxy_the_header_cannot_escape_the_limit(
    settings: SettingsWrapper,
) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    settings.LIBRERY_RATE_LIMITS = {"probe": "2/h"}
    hits = [rate_limit_hit(_request(f"203.0.113.{n}"), "probe") for n in range(4)]
    assert hits == [True, True, False, False]


def test_ipv6_addresses_of_one_64_count_together(settings: SettingsWrapper) -> None:
    settings.LIBRERY_RATE_LIMITS = {"probe": "1/h"}
    hits = [
        rate_limit_hit(_request(remote=address), "probe")
        for address in ("2001:db8:1:2::1", "2001:db8:1:2::ffff", "2001:db8:1:3::1")
    ]
    assert hits == [True, False, True]


def test_a_request_without_an_address_counts_under_what_it_has(
    settings: SettingsWrapper,
) -> None:
    settings.LIBRERY_RATE_LIMITS = {"probe": "1/h"}
    hits = [rate_limit_hit(_request(remote=""), "probe") for _n in range(2)]
    assert hits == [True, False]


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("20/h", Rate(20, 3600)),
        ("5/10m", Rate(5, 600)),
        ("1/s", Rate(1, 1)),
        ("3/2d", Rate(3, 172800)),
    ],
)
def test_rates_read_like_allauths(text: str, rate: Rate) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["20", "20/w", "x/h", "5/0m", "20/h/ip", " 20/h"])
def test_a_malformed_rate_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="A rate limit reads like 20/h or 5/10m"):
        parse_rate(text)


def _settings_with(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    clean.pop("TRUSTED_PROXY_COUNT", None)
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "librery.settings.base"
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings;"
            " print(settings.TRUSTED_PROXY_COUNT, settings.ALLAUTH_TRUSTED_PROXY_COUNT)",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(("value", "printed"), [(None, "0 0"), ("1", "1 1"), ("2", "2 2")])
def test_the_trusted_proxy_count_comes_from_the_environment(
    value: str | None, printed: str
) -> None:
    result = _settings_with({} if value is None else {"TRUSTED_PROXY_COUNT": value})
    assert (result.returncode, result.stdout.strip()) == (0, printed), result.stderr


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "TRUSTED_PROXY_COUNT must be at least 0, not -1."),
        ("one", "TRUSTED_PROXY_COUNT must be a whole number, not 'one'."),
    ],
)
def test_a_bad_trusted_proxy_count_stops_the_process(value: str, message: str) -> None:
    result = _settings_with({"TRUSTED_PROXY_COUNT": value})
    assert result.returncode != 0
    assert f"ConfigurationError: {message}" in result.stderr


# --- allauth's own limits follow the same address ---------------------------------


def _failed_logins(settings: SettingsWrapper, count: int) -> tuple[list[bool], bool]:
    """Ten failed logins (the limit per address) from one client, then one
    more from it and one from another client, all through our proxy: which
    of them were refused as too many?"""
    settings.TRUSTED_PROXY_COUNT = count
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = count

    def attempt(n: int, client_address: str) -> bool:
        response = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address).post(
            "/en/accounts/login/", {"login": f"nobody{n}@example.org", "password": "wrong"}
        )
        return "Too many failed login attempts" in response.content.decode()

    first = [attempt(n, "203.0.113.7") for n in range(11)]
    return first, attempt(99, "203.0.113.8")


@pytest.mark.django_db
def test_behind_one_proxy_failed_logins_of_one_client_lock_out_only_that_client(
    settings: SettingsWrapper,
) -> None:
    first, other = _failed_logins(settings, 1)
    assert (first, other) == ([False] * 10 + [True], False)


@pytest.mark.django_db
def test_without_a_trusted_proxy_allauth_ignores_the_header(settings: SettingsWrapper) -> None:
    first, other = _failed_logins(settings, 0)
    assert (first, other) == ([False] * 10 + [True], True)


# --- The platform's own limits, per user ---------------------------------------------


@pytest.fixture
def tight(settings: SettingsWrapper) -> None:
    settings.LIBRERY_RATE_LIMITS = {
        "manifest": "2/h",
        "claim": "2/h",
        "pledge": "2/h",
        "invitation": "2/h",
    }
    settings.LIBRERY_FETCH_ALLOW_LOOPBACK = True


def _page_refused(response: Any) -> bool:
    return response.status_code == 429 and MESSAGE in response.content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("tight")
def test_manifest_imports_on_the_page_are_limited_per_user(
    outsider: Client, contributor: Client
) -> None:
    url = "/en/projects/manifest/"
    manifest = (FUNDING_JSON_DIR / "ddev__ddev.json").read_bytes()
    statuses = [outsider.post(url, {}).status_code for _n in range(2)]
    refused = outsider.post(url, {"file": SimpleUploadedFile("funding.json", manifest)})

    assert statuses == [400, 400]
    assert _page_refused(refused)
    assert Project.objects.filter(source="funding.json").count() == 0
    other = contributor.post(url, {"file": SimpleUploadedFile("funding.json", manifest)})
    assert other.status_code == 200
    assert Project.objects.filter(source="funding.json").count() == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("tight")
def test_manifest_imports_in_the_api_are_limited_per_user(
    outsider: Client, contributor: Client
) -> None:
    url = "/api/v1/projects/manifests/"
    manifest = (FUNDING_JSON_DIR / "ddev__ddev.json").read_bytes()
    statuses = [outsider.post(url, {}).status_code for _n in range(2)]
    refused = outsider.post(
        url, {"file": SimpleUploadedFile("funding.json", manifest)}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert statuses == [400, 400]
    assert (refused.status_code, refused.json()) == (429, {"detail": MESSAGE})
    assert Project.objects.filter(source="funding.json").count() == 0
    assert outsider.get("/api/v1/projects/mine/").status_code == 200  # reads are not counted
    other = contributor.post(url, {"file": SimpleUploadedFile("funding.json", manifest)})
    assert other.status_code == 200
    assert Project.objects.filter(source="funding.json").count() == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("tight")
def test_claims_are_limited_per_user(outsider: Client, contributor: Client) -> None:
    entity = FundingEntity.objects.create(
        manifest_url="https://example.org/funding.json",
        kind="organisation",
        role="owner",
        name="Entity",
        email="entity@example.org",
        manifest="{}",
    )
    projects = [ProjectFactory.create(entity=entity, manifest_guid=f"g{n}") for n in range(3)]
    url = "/en/projects/{}/claim/"

    statuses = [outsider.get(url.format(p.slug)).status_code for p in projects[:2]]
    refused = outsider.get(url.format(projects[2].slug))
    verify = outsider.post(url.format(projects[0].slug))

    assert statuses == [200, 200]
    assert _page_refused(refused)
    assert _page_refused(verify)
    assert ProjectClaim.objects.count() == 2
    assert contributor.get(url.format(projects[2].slug)).status_code == 200
    assert ProjectClaim.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.usefixtures("tight")
def test_pledges_are_limited_per_user(outsider: Client, contributor: Client) -> None:
    url = "/en/contribute/pledge/"
    statuses = [outsider.post(url, {}).status_code for _n in range(2)]
    refused = outsider.post(url, {})

    assert statuses == [200, 200]  # the form again, with its errors
    assert _page_refused(refused)
    assert outsider.get(url).status_code == 200  # reading the form is not counted
    assert contributor.post(url, {}).status_code == 200
    assert Pledge.objects.count() == 0


def _organisation(user: User, name: str) -> Contributor:
    return organisation_create(
        user=user,
        name=name,
        organisation_kind="association",
        legal_name=f"{name} loi 1901",
        country="BE",
        billing_address="Rue 1",
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("tight")
def test_invitations_are_limited_per_user(
    contributor_user: User, contributor: Client, outsider_user: User, outsider: Client
) -> None:
    mine = _organisation(contributor_user, "Assoc")
    theirs = _organisation(outsider_user, "Other")
    url = "/en/contribute/organisations/{}/members/"
    statuses = [
        contributor.post(url.format(mine.pk), {"email": "bad", "role": "member"}).status_code
        for _n in range(2)
    ]
    refused = contributor.post(url.format(mine.pk), {"email": "new@example.org", "role": "member"})

    assert statuses == [400, 400]
    assert _page_refused(refused)
    assert MembershipInvitation.objects.count() == 0
    accepted = outsider.post(url.format(theirs.pk), {"email": "new@example.org", "role": "member"})
    assert accepted.status_code == 302
    assert MembershipInvitation.objects.count() == 1


@pytest.mark.django_db
def test_the_429_page_is_in_french_too(settings: SettingsWrapper) -> None:
    settings.LIBRERY_RATE_LIMITS = {"pledge": "0/h"}
    user = UserFactory.create()
    client = Client()
    client.force_login(user)
    response = client.post("/contribute/pledge/", {})
    assert response.status_code == 429
    assert "Vous avez fait cela trop souvent en peu de temps" in response.content.decode()
