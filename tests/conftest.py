from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from django.utils import timezone

from contributors.models import User
from governance import services as governance_services
from governance.enums import CollegeCode
from governance.models import Seat
from tests import services
from tests.browser import TIMEOUT_MS, browser_state
from tests.factories import ContributorFactory, MaintainershipFactory, UserFactory


def pytest_report_header(config: pytest.Config) -> list[str]:
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    broker = "redis" if settings.REDIS_URL else "none (in-memory; queue tests skip)"
    return [
        f"librery: database vendor: {engine}; broker: {broker}; "
        f"browser: {services.chromium_path() or 'none'}; "
        f"services required: {services.REQUIRE_SERVICES}",
    ]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in pytest_report_header(terminalreporter.config):
        terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _english_outside_requests() -> Iterator[None]:
    """Code called directly (services, commands) speaks English in tests; pages
    still take their language from the URL, and a test wanting French outside a
    request says so with translation.override("fr")."""
    from django.utils import translation  # noqa: PLC0415 -- after Django is set up

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Rate limits and TOTP replay protection live in the cache: start clean."""
    from django.core.cache import cache  # noqa: PLC0415 -- after Django is set up

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def online_payments(settings: Any) -> None:
    """Stripe configured: the pledge form offers card and SEPA Direct Debit too
    (without it, only the bank transfer that can work is offered)."""
    settings.USE_STRIPE = True


# --- Personas -------------------------------------------------------------


@pytest.fixture
def anonymous() -> Client:
    return Client()


@pytest.fixture
def contributor_user(db: None) -> User:
    contributor = ContributorFactory.create(name="Alice Contributor")
    assert contributor.user is not None
    return contributor.user


@pytest.fixture
def maintainer_user(db: None) -> User:
    return MaintainershipFactory.create(project__name="Bob's project").user


@pytest.fixture
def seat_holder_user(db: None) -> User:
    """Holds seat 1 of the commoners' college, with a mandate in force today."""
    user = UserFactory.create(display_name="Charlie Seat")
    governance_services.college_defaults_ensure(at=timezone.now() - timedelta(days=400))
    today = timezone.localdate()
    governance_services.mandate_create(
        seat=Seat.objects.get(college__code=CollegeCode.COMMONERS, number=1),
        holder=user,
        start_date=today - timedelta(days=365),
        end_date=today + timedelta(days=730),
    )
    return user


@pytest.fixture
def admin_totp_secret() -> str:
    return str(generate_totp_secret())


@pytest.fixture
def administrator_user(db: None, admin_totp_secret: str) -> User:
    user = UserFactory.create(display_name="Dana Admin", is_staff=True, is_superuser=True)
    TOTP.activate(user, admin_totp_secret)
    return user


@pytest.fixture
def outsider_user(db: None) -> User:
    """Signed in, verified, and related to nothing: must see nothing private."""
    return UserFactory.create(display_name="Eve Outsider")


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def contributor(contributor_user: User) -> Client:
    return _client_for(contributor_user)


@pytest.fixture
def maintainer(maintainer_user: User) -> Client:
    return _client_for(maintainer_user)


@pytest.fixture
def seat_holder(seat_holder_user: User) -> Client:
    return _client_for(seat_holder_user)


@pytest.fixture
def administrator(administrator_user: User) -> Client:
    assert Authenticator.objects.filter(user=administrator_user).exists()
    return _client_for(administrator_user)


@pytest.fixture
def outsider(outsider_user: User) -> Client:
    return _client_for(outsider_user)


# --- Browser ------------------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright_browser() -> Iterator[Any]:
    path = services.chromium_path()
    services.need(
        path is not None, "no Chromium found (apt-get install chromium, or CHROMIUM_PATH)"
    )
    from playwright.sync_api import expect, sync_playwright  # noqa: PLC0415 -- browser tests only

    # Assertions wait as long as actions (`page` below): a newcomer's make check,
    # with the machine loaded, failed once on the voting portal's error page.
    expect.set_options(timeout=TIMEOUT_MS)

    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls
    # from such a thread unless told that this is on purpose (tests only).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture
def page(
    request: pytest.FixtureRequest, _playwright_browser: Any, live_server: Any
) -> Iterator[Any]:
    """A fresh Chromium page; `page.base_url` is the live server's address.
    When the test fails, what the page showed is printed with the failure."""
    context = _playwright_browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="fr-FR"
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    if request.node.stash.get(_CALL_FAILED, False):
        directory = Path(os.environ.get("LIBRERY_SCREENSHOTS", tempfile.gettempdir()))
        try:
            state = browser_state(page, directory)
        except Exception as error:  # noqa: BLE001 -- the test's own failure matters more
            state = f"the page could not be read: {error!r}"
        print(state)  # noqa: T201
    context.close()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    target = Path(os.environ.get("LIBRERY_SCREENSHOTS", tmp_path))
    target.mkdir(parents=True, exist_ok=True)
    return target
