"""Accessibility of the main pages, checked by axe-core in Chromium (issue 14).

The demo data is loaded (with its banner), and each main page is opened in
English and in French, signed in as the persona who sees it, at 1280 px (and a
few at 390 px), some in the state a person leaves them in (a form with errors,
the pledge form's live preview, a message after signing in). axe-core (shipped
inside the axe-playwright-python package: nothing is downloaded) runs every
rule it enables by default on each; the test fails on any violation of impact
critical or serious, and on the "region" rule at any impact (content outside
the page's landmarks, as the demo banner was), and on anything that sticks
out past its card or the window (`tests.browser.SPILLING_OUT`: a French badge
was cut off at its card's edge). `pytest -s` prints a table of
every page's violations by impact, the figures the release note quotes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client

from allocation.models import AllocationRun
from contributors.models import Pledge, User
from demo import data as demo
from funds.models import Receipt
from funds.services import bank_statement_import
from governance.enums import BallotKind, BallotStatus
from governance.models import Ballot, Meeting
from projects.enums import ProjectStatus
from projects.models import Project
from tests.browser import SPILLING_OUT, TIMEOUT_MS
from tests.factories.contributors import PledgeFactory
from tests.funds.conftest import _localstripe_server, localstripe  # noqa: F401 -- fixtures
from tests.funds.statements import for_fund
from tests.paths import DATA

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

IMPACTS = ("critical", "serious", "moderate", "minor")
FAILING_IMPACTS = {"critical", "serious"}
# Failing at any impact: content outside every landmark (the demo banner was).
ALWAYS_FAILING_RULES = {"region"}
MIN_PAGES = 20
# A real statement (anonymised) whose one credit names no payment request: unmatched.
STATEMENT = DATA / "sepa" / "camt053-real-anonymised-small__Subite-eu__camt-to-coda.xml"


@dataclass(frozen=True)
class Visit:
    name: str
    path: str  # without the language prefix
    email: str | None = None  # the persona signed in (a shared context), or anonymous
    act: Callable[[Any], None] | None = None  # what a person did on the page before axe runs
    width: int = 1280
    fresh: bool = False  # a context of its own (the visit signs in)
    shot: bool = False  # a screenshot, to look at what the fixes changed


def _context(browser: Any, live_server: Any, user: User | None) -> Any:
    """A browser context signed in as `user` (a session cookie, so that the
    administrators' TOTP codes are not spent), or anonymous."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="fr-FR"
    )
    if user is not None:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
    return context


def _submit(tab: Any) -> None:
    with tab.expect_navigation():
        tab.locator("main form button[type=submit]").last.click()


def _sign_in(password: str) -> Callable[[Any], None]:
    """Wrong: the form comes back with its error; right: the home page says so
    in a message."""

    def act(tab: Any) -> None:
        tab.locator("input[name=login]").fill(demo.CONTRIBUTOR.email)
        tab.locator("input[name=password]").fill(password)
        _submit(tab)
        if password == demo.CONTRIBUTOR.password:
            assert tab.locator("main .messages .message").count() == 1
        else:
            assert tab.locator("main form .errorlist").count() > 0

    return act


def _pledge_preview(first: Project, second: Project) -> Callable[[Any], None]:
    """Over the cap: the preview shows its error (and the rows come back below it)."""

    def act(tab: Any) -> None:
        tab.locator("input[name=frequency][value=monthly]").check()
        tab.locator("input[name=amount]").fill("50")
        tab.locator("select[name=project_1]").select_option(str(first.pk))
        tab.locator("input[name=share_1]").fill("30")
        tab.locator("select[name=project_2]").select_option(str(second.pk))
        tab.locator("input[name=share_2]").fill("25")
        tab.locator("#pledge-preview-status").wait_for()

    return act


def _pledge_errors(tab: Any) -> None:
    tab.locator("input[name=amount]").fill("-3")
    _submit(tab)
    assert tab.locator("main .field--invalid").count() > 0


def _public_visits() -> Iterator[Visit]:
    project = Project.objects.get(name="LibreOffice")
    run = AllocationRun.objects.get()
    receipt = Receipt.objects.order_by("pk").first()
    released = Ballot.objects.filter(status=BallotStatus.RELEASED).order_by("pk").first()
    meeting = Meeting.objects.order_by("pk").first()
    yield Visit("home", "/", shot=True)
    yield Visit("catalogue", "/projects/")
    yield Visit("project", f"/projects/{project.slug}/")
    yield Visit("transparency", "/transparency/")
    yield Visit("run", f"/transparency/runs/{run.period}/")
    yield Visit("open data", "/transparency/open-data/")
    if receipt is not None:
        yield Visit("receipt trace", f"/transparency/receipts/{receipt.pk}/")
    yield Visit("governance", "/governance/")
    yield Visit("register", "/governance/register/")
    if released is not None:
        yield Visit("decision", f"/governance/register/{released.pk}/")
    yield Visit("meetings", "/governance/meetings/")
    if meeting is not None:
        yield Visit("meeting", f"/governance/meetings/{meeting.pk}/")
    yield Visit("sign-up", "/accounts/signup/")
    yield Visit("login", "/accounts/login/")
    yield Visit("login, wrong password", "/accounts/login/", act=_sign_in("not the password"))
    yield Visit(
        "signed in, message",
        "/accounts/login/",
        act=_sign_in(demo.CONTRIBUTOR.password),
        fresh=True,
        shot=True,
    )


def _contributor_visits() -> Iterator[Visit]:
    person = demo.CONTRIBUTOR.email
    contributor = User.objects.get(email=person)
    monthly = Pledge.objects.get(contributor__user=contributor, frequency="monthly")
    card = PledgeFactory.create(
        contributor=contributor.contributors.get(), amount_cents=2_500, payment_method="card"
    )
    first, second = Project.objects.filter(status=ProjectStatus.ADMITTED).order_by("name")[:2]
    yield Visit("contribute", "/contribute/", person)
    yield Visit("pledge form", "/contribute/pledge/", person)
    yield Visit(
        "pledge form, preview", "/contribute/pledge/", person, _pledge_preview(first, second)
    )
    yield Visit("pledge form, errors", "/contribute/pledge/", person, act=_pledge_errors)
    yield Visit("my contributions", "/contribute/mine/", person)
    yield Visit("pledge", f"/contribute/pledges/{monthly.pk}/", person)
    yield Visit("payment", f"/funds/pledges/{card.pk}/pay/", person)
    yield Visit("my account", "/contribute/me/", person)


def _governance_and_staff_visits() -> Iterator[Visit]:
    seat, maintainer, admin = demo.SEAT_HOLDER.email, demo.MAINTAINER.email, demo.ADMIN.email
    motion = Ballot.objects.get(kind=BallotKind.MOTION, title=demo.OPEN_MOTION_TITLE)
    round_ = Ballot.objects.get(kind=BallotKind.ROUND, title=demo.OPEN_ROUND_TITLE)
    maintained = Project.objects.get(name="Qgis")
    unclaimed = (
        Project.objects.filter(status=ProjectStatus.ADMITTED, maintainerships__isnull=True)
        .order_by("name")
        .first()
    )
    run = AllocationRun.objects.get()
    yield Visit("portal", "/governance/portal/", seat)
    yield Visit("motion ballot", f"/governance/portal/ballots/{motion.pk}/", seat)
    yield Visit("round ballot", f"/governance/portal/ballots/{round_.pk}/", seat)
    yield Visit("my projects", "/projects/mine/", maintainer)
    yield Visit("project edit", f"/projects/{maintained.slug}/edit/", maintainer)
    if unclaimed is not None:
        yield Visit("claim", f"/projects/{unclaimed.slug}/claim/", maintainer)
    yield Visit("disbursement", "/staff/disbursement/", admin)
    yield Visit("disbursement report", f"/staff/disbursement/{run.period}/", admin)
    yield Visit("reconciliation", "/funds/reconciliation/", admin, shot=True)
    (statement,) = bank_statement_import(
        content=for_fund(STATEMENT.read_bytes()),
        filename="statement.xml",
        actor=User.objects.get(email=admin),
    ).statements
    yield Visit("bank statement", f"/funds/reconciliation/statements/{statement.pk}/", admin)
    yield Visit("admin index", "/admin/", admin)
    # At 390 px: pages with the most to fold away.
    yield Visit("home 390", "/", width=390, shot=True)
    yield Visit("my contributions 390", "/contribute/mine/", demo.CONTRIBUTOR.email, width=390)
    yield Visit("round ballot 390", f"/governance/portal/ballots/{round_.pk}/", seat, width=390)
    yield Visit("register 390", "/governance/register/", width=390)
    yield Visit("open data 390", "/transparency/open-data/", width=390)


class Audit:
    """Opens each visit in its persona's context, runs axe-core, and keeps the
    counts by impact and the failures."""

    def __init__(self, browser: Any, live_server: Any, screenshot_dir: Path) -> None:
        self.browser = browser
        self.live_server = live_server
        self.screenshot_dir = screenshot_dir
        self.axe = Axe()
        self.contexts: dict[str | None, Any] = {}
        self.table: list[str] = []
        self.failures: list[str] = []
        self.totals: Counter[str] = Counter()
        self.rules: dict[tuple[str, str], Counter[str]] = {}

    def _context_for(self, visit: Visit) -> Any:
        if visit.fresh:
            return _context(self.browser, self.live_server, None)
        if visit.email not in self.contexts:
            user = User.objects.get(email=visit.email) if visit.email else None
            self.contexts[visit.email] = _context(self.browser, self.live_server, user)
        return self.contexts[visit.email]

    def visit(self, visit: Visit, language: str) -> None:
        prefix = "/en" if language == "en" else ""
        context = self._context_for(visit)
        tab = context.new_page()
        tab.set_default_timeout(TIMEOUT_MS)
        tab.set_viewport_size({"width": visit.width, "height": 900})
        response = tab.goto(prefix + visit.path)
        assert response is not None
        assert response.status == 200, (language, visit.name, response.status, tab.url)
        if visit.act is not None:
            visit.act(tab)
        assert tab.locator("html").get_attribute("lang") == language
        violations = self.axe.run(tab).response["violations"]
        spilling = tab.evaluate(SPILLING_OUT)
        if visit.shot:
            name = visit.name.replace(" ", "-").replace(",", "")
            tab.screenshot(path=str(self.screenshot_dir / f"axe-{language}-{name}.png"))
        url = tab.url
        tab.close()
        if visit.fresh:
            context.close()
        self._record(f"{language} {visit.name}", url, violations)
        if spilling:
            self.failures.append(f"{language} {visit.name} ({url}): sticks out {spilling[:5]}")

    def _record(self, page: str, url: str, violations: list[dict[str, Any]]) -> None:
        counts: Counter[str] = Counter()
        for violation in violations:
            impact = violation["impact"] or "minor"
            nodes = violation["nodes"]
            counts[impact] += len(nodes)
            self.rules.setdefault((violation["id"], impact), Counter())[page] += len(nodes)
            if impact in FAILING_IMPACTS or violation["id"] in ALWAYS_FAILING_RULES:
                targets = [", ".join(map(str, node["target"])) for node in nodes]
                self.failures.append(
                    f"{page} ({url}): {violation['id']} [{impact}] {violation['help']} "
                    f"— {targets[:5]}"
                )
        self.totals.update(counts)
        self.table.append(_row(page, counts))

    def close(self) -> None:
        for context in self.contexts.values():
            context.close()

    def report(self) -> str:
        lines = [
            f"axe-core: violations (elements) by impact, {len(self.table)} pages",
            f"{'page':<34}" + "".join(f"{impact:>10}" for impact in IMPACTS),
            *self.table,
            _row("total", self.totals),
        ]
        lines += [
            f"{rule} ({impact}): {dict(where)}"
            for (rule, impact), where in sorted(self.rules.items())
        ]
        return "\n".join(lines)


def _row(name: str, counts: Counter[str]) -> str:
    cells = "".join(f"{counts[impact]:>10}" for impact in IMPACTS)
    return f"{name:<34}{cells}"


def test_the_main_pages_have_no_serious_accessibility_violation(
    page: Any,
    live_server: Any,
    settings: Any,
    localstripe: str,  # noqa: F811 -- fixture: the payment page needs a gateway
    screenshot_dir: Path,
) -> None:
    settings.LIBRERY_DEMO = True
    demo.demo_load()
    visits = [*_public_visits(), *_contributor_visits(), *_governance_and_staff_visits()]
    audit = Audit(page.context.browser, live_server, screenshot_dir)
    for language in ("en", "fr"):
        for visit in visits:
            audit.visit(visit, language)
    audit.close()
    print("\n" + audit.report())  # noqa: T201 -- the figures the release note quotes (pytest -s)
    assert len(audit.table) >= 2 * MIN_PAGES
    assert audit.failures == [], "\n".join(audit.failures)
