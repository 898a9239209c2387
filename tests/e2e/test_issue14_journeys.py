"""Issue 14 in Chromium: the journeys' rough edges, as a person sees them.

1. Without Stripe, the pledge form offers only the bank transfer, and says why.
3. "Support this project" opens the pledge form with the project earmarked.
7. A recusal declared during an open round disables that project's field.
9. The interest is declared by typing the project's name.
11. (tests/projects/test_catalogue_prefix_and_sort.py)
12. The admin: amounts formatted, the money pages linked, ballots kept."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contributors.models import User
from funds.services import payment_request_issue
from governance import services
from governance.models import DeclaredInterest, Vote
from projects.enums import ProjectStatus
from tests.browser import fill_pledge_form, log_in, staff_log_in
from tests.factories import ProjectFactory, UserFactory
from tests.factories.contributors import CommitmentFactory, MembershipFactory, PledgeFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _no_cell_outside(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_only_the_methods_that_can_work_are_offered(
    page: Any, contributor_user: User, screenshot_dir: Path, settings: Any
) -> None:
    settings.USE_STRIPE = False
    log_in(page, contributor_user.email)
    page.goto("/en/contribute/pledge/")
    methods = page.locator("input[name=payment_method]")
    assert methods.count() == 1
    assert methods.first.get_attribute("value") == "bank_transfer"
    assert methods.first.is_checked()
    assert page.get_by_label("Card").count() == 0
    hint = page.get_by_text("Card and SEPA Direct Debit are not offered")
    assert hint.is_visible()
    page.screenshot(path=str(screenshot_dir / "i14-pledge-methods.png"), full_page=True)
    page.goto("/contribute/pledge/")
    assert page.get_by_text("La carte et le prélèvement SEPA ne sont pas proposés").is_visible()
    assert page.get_by_text(
        "Pas du tout\u202f: votre nom ne quitte jamais la plateforme"
    ).is_visible()


def test_online_methods_are_offered_when_stripe_is_set_up(
    page: Any, contributor_user: User, settings: Any
) -> None:
    settings.USE_STRIPE = True
    log_in(page, contributor_user.email)
    page.goto("/en/contribute/pledge/")
    values = page.locator("input[name=payment_method]").evaluate_all(
        "inputs => inputs.map(input => input.value)"
    )
    assert values == ["card", "sepa_debit", "bank_transfer"]
    assert page.get_by_text("Card and SEPA Direct Debit are not offered").count() == 0


def test_support_this_project_opens_the_pledge_form_with_it_earmarked(
    page: Any, contributor_user: User, screenshot_dir: Path
) -> None:
    project = ProjectFactory.create(name="Inkscape", status=ProjectStatus.ADMITTED)
    proposed = ProjectFactory.create(name="Not Yet", status=ProjectStatus.PROPOSED)
    log_in(page, contributor_user.email)
    page.goto(f"/en/projects/{proposed.slug}/")
    assert page.get_by_role("link", name="Support this project").count() == 0
    page.goto(f"/en/projects/{project.slug}/")
    button = page.get_by_role("link", name="Support this project")
    assert button.is_visible()
    page.screenshot(path=str(screenshot_dir / "i14-project-support.png"))
    button.click()
    page.wait_for_url(f"**/en/contribute/pledge/?project={project.slug}")
    assert page.locator("select[name=project_1]").input_value() == str(project.pk)
    assert page.locator("input[name=share_1]").input_value() == "50"
    assert (
        page.locator("#pledge-earmarked").inner_text().startswith("Your pledge supports Inkscape")
    )
    page.get_by_label("Amount (euros)").fill("20")
    # The live preview already shows the earmark.
    assert "Inkscape" in page.locator("#pledge-preview-rows").inner_text()
    page.screenshot(path=str(screenshot_dir / "i14-pledge-earmarked.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/projects/{project.slug}/")
    assert page.get_by_role("link", name="Soutenir ce projet").is_visible()
    _no_cell_outside(page)


def test_a_recusal_declared_by_name_disables_the_field_of_the_open_round(
    page: Any, seat_holder_user: User, screenshot_dir: Path
) -> None:
    glpi = ProjectFactory.create(name="GLPI", status=ProjectStatus.ADMITTED)
    other = ProjectFactory.create(name="Qgis", status=ProjectStatus.ADMITTED)
    staff = UserFactory.create(is_staff=True)
    ballot = services.ballot_create(
        kind="round",
        title="Pool round",
        closes_at=timezone.now() + timedelta(days=2),
        actor=staff,
    )
    services.ballot_open(ballot=ballot, actor=staff, at=timezone.now())
    log_in(page, seat_holder_user.email)
    page.goto(f"/en/governance/portal/ballots/{ballot.pk}/")
    assert page.locator(f"#p_{glpi.pk}").is_enabled()

    page.goto("/en/governance/portal/")
    page.get_by_label("Project").fill("glpi")
    page.get_by_label("Interest").select_option("employs")
    page.screenshot(path=str(screenshot_dir / "i14-portal-interest.png"), full_page=True)
    page.get_by_role("button", name="Declare this interest").click()
    page.wait_for_url("**/en/governance/portal/")
    assert page.get_by_text("Your interest in GLPI is declared").is_visible()
    assert DeclaredInterest.objects.get(user=seat_holder_user).project == glpi

    page.goto(f"/en/governance/portal/ballots/{ballot.pk}/")
    assert page.locator(f"#p_{glpi.pk}").is_disabled()
    assert page.locator(f"#p_{other.pk}").is_enabled()
    page.screenshot(path=str(screenshot_dir / "i14-round-recused.png"), full_page=True)


def test_the_admin_formats_amounts_links_the_money_pages_and_keeps_ballots(
    page: Any,
    administrator_user: User,
    admin_totp_secret: str,
    seat_holder_user: User,
    screenshot_dir: Path,
) -> None:
    """Item 12 (and item 8's menu link to the portal)."""
    pledge = PledgeFactory.create(amount_cents=2_400_000, payment_method="bank_transfer")
    request = payment_request_issue(pledge=pledge)
    ballot = services.ballot_create(
        kind="motion",
        title="A motion",
        closes_at=timezone.now() + timedelta(days=2),
        actor=administrator_user,
    )
    services.ballot_open(ballot=ballot, actor=administrator_user, at=timezone.now())
    staff_log_in(page, administrator_user, admin_totp_secret)

    menu = page.get_by_role("navigation", name="Navigation principale")
    assert menu.get_by_role("link", name="Portail").is_visible()
    assert menu.get_by_role("link", name="Rapprochement").is_visible()

    page.goto("/admin/")
    money = page.locator("#money-links")
    assert money.get_by_role("link", name="Rapprochement", exact=False).get_attribute("href") == (
        "/funds/reconciliation/"
    )
    assert money.get_by_role("link", name="Rembourser un paiement").get_attribute("href") == (
        "/funds/stripe/payments/"
    )
    content = page.locator("#content-main").text_content() or ""
    assert "Authentification à deux facteurs" in content
    assert "Authentificateurs" in content
    assert "Signaux de vie des processus de fond" in content
    assert "MFA" not in content
    assert "Battements" not in content
    page.screenshot(path=str(screenshot_dir / "i14-admin-index.png"), full_page=True)

    page.goto("/admin/funds/paymentrequest/")
    row = page.locator("#result_list tbody tr").first.inner_text()
    assert request.number in row
    assert "24\u202f000,00\xa0€" in row
    assert "2400000" not in row
    page.screenshot(path=str(screenshot_dir / "i14-admin-requests.png"))

    page.goto("/admin/governance/ballot/")
    actions = page.locator("select[name=action] option").evaluate_all(
        "options => options.map(option => option.value)"
    )
    assert "delete_selected" not in actions
    assert page.locator("#result_list tbody tr").count() == 1
    response = page.goto(f"/admin/governance/ballot/{ballot.pk}/delete/")
    assert response is not None
    assert response.status == 403


def test_voting_feedback_in_the_portal(
    page: Any, seat_holder_user: User, screenshot_dir: Path
) -> None:
    """Item 8: over 1000 points keeps what was typed and says so; a motion vote
    shows the choice, says what a new vote replaces, shows the receipt once and
    links the project concerned; the portal is in the menu."""
    alpha = ProjectFactory.create(name="Alpha", status=ProjectStatus.ADMITTED)
    beta = ProjectFactory.create(name="Beta", status=ProjectStatus.ADMITTED)
    staff = UserFactory.create(is_staff=True)
    closes = timezone.now() + timedelta(days=2)
    round_ = services.ballot_create(kind="round", title="Pool", closes_at=closes, actor=staff)
    services.ballot_open(ballot=round_, actor=staff, at=timezone.now())
    motion = services.ballot_create(
        kind="motion",
        title="Suspend Alpha",
        closes_at=closes,
        actor=staff,
        effect="suspend_project",
        effect_project=alpha,
    )
    services.ballot_open(ballot=motion, actor=staff, at=timezone.now())
    log_in(page, seat_holder_user.email)

    page.get_by_role("navigation").get_by_role("link", name="Portal").click()
    page.wait_for_url("**/en/governance/portal/")

    page.goto(f"/en/governance/portal/ballots/{round_.pk}/")
    page.locator(f"#p_{alpha.pk}").fill("600")
    page.locator(f"#p_{beta.pk}").fill("401")
    page.get_by_role("button", name="Confirm my points").click()
    error = page.locator("#vote-error")
    expect(error).to_be_visible()
    assert "at most 1000 points" in error.inner_text()
    assert page.locator(f"#p_{alpha.pk}").input_value() == "600"
    assert page.locator(f"#p_{beta.pk}").input_value() == "401"
    page.screenshot(path=str(screenshot_dir / "i14-round-over.png"), full_page=True)
    page.locator(f"#p_{beta.pk}").fill("400")
    page.get_by_role("button", name="Confirm my points").click()
    expect(page.get_by_text("Your vote is recorded: its receipt is below")).to_be_visible()

    page.goto(f"/en/governance/portal/ballots/{motion.pk}/")
    link = page.locator("#effect-project")
    assert link.inner_text() == "Alpha"
    assert link.get_attribute("href") == f"/en/projects/{alpha.slug}/"
    page.get_by_label("For").check()
    page.get_by_role("button", name="Confirm my vote").click()
    page.wait_for_url(f"**/en/governance/portal/ballots/{motion.pk}/")
    first = Vote.objects.get(ballot=motion)
    notice = page.locator(f"[data-receipt='{first.receipt}']")
    assert "Your choice: For." in notice.inner_text()
    assert "Voting again replaces this vote" in notice.inner_text()
    assert page.get_by_label("For").is_checked()
    body = page.locator("main").inner_text()
    assert body.count(first.receipt) == 1
    page.get_by_label("Against").check()
    page.get_by_role("button", name="Confirm my vote").click()
    page.wait_for_url(f"**/en/governance/portal/ballots/{motion.pk}/")
    assert page.get_by_text("and replaces the one cast at").is_visible()
    assert "Your choice: Against." in page.locator("main").inner_text()
    page.screenshot(path=str(screenshot_dir / "i14-motion-voted.png"), full_page=True)


def test_french_typography_in_the_portal(
    page: Any, seat_holder_user: User, screenshot_dir: Path
) -> None:
    """Item 13 (part): the seat in words, the college's share in percent, and a
    narrow no-break space before the colon."""
    project = ProjectFactory.create(name="Inkscape", status=ProjectStatus.PROPOSED)
    staff = UserFactory.create(is_staff=True)
    closes = timezone.now() + timedelta(days=2)
    motion = services.ballot_create(
        kind="motion",
        title="Admettre Inkscape",
        closes_at=closes,
        actor=staff,
        effect="admit_project",
        effect_project=project,
    )
    services.ballot_open(ballot=motion, actor=staff, at=timezone.now())
    round_ = services.ballot_create(kind="round", title="Pot", closes_at=closes, actor=staff)
    services.ballot_open(ballot=round_, actor=staff, at=timezone.now())
    log_in(page, seat_holder_user.email)
    page.goto("/governance/portal/")
    mandate = page.locator("main li").first.inner_text()
    assert mandate.startswith("Représentants des communs, siège 1 — ")
    assert "#1" not in mandate
    page.goto(f"/governance/portal/ballots/{motion.pk}/")
    effect = page.locator("dd", has=page.locator("#effect-project")).text_content() or ""
    assert effect.startswith("Admettre un projet\u202f: Inkscape")
    page.goto(f"/governance/portal/ballots/{round_.pk}/")
    assert "contrôle 51\u00a0% du pot commun" in (page.locator("main").text_content() or "")
    assert "points de base" not in (page.locator("main").text_content() or "")
    page.screenshot(path=str(screenshot_dir / "i14-round-fr.png"))


def test_cancelling_asks_first_and_a_pledged_commitment_links_its_pledge(
    page: Any, contributor_user: User, screenshot_dir: Path
) -> None:
    """Item 4 (part): cancelling is confirmed on its own page; a 2 % commitment
    already pledged links its pledge instead of offering another."""
    person = contributor_user.contributors.get()
    pledge = PledgeFactory.create(
        contributor=person, frequency="monthly", status="active", amount_cents=4_000
    )
    membership = MembershipFactory.create(user=contributor_user, role="owner")
    commitment = CommitmentFactory.create(contributor=membership.contributor)
    fresh = CommitmentFactory.create(contributor=membership.contributor, project_name="Autre")
    paid = PledgeFactory.create(contributor=membership.contributor, commitment=commitment)
    log_in(page, contributor_user.email)

    page.goto("/en/contribute/mine/")
    rows = page.locator("#commitments tbody tr")
    pledged = rows.filter(has_text="Portail citoyen")
    assert pledged.get_by_role("link", name=f"Pledged: see pledge #{paid.pk}").is_visible()
    assert pledged.get_by_role("link", name="Pledge towards it").count() == 0
    other = rows.filter(has_text=fresh.project_name)
    assert other.get_by_role("link", name="Pledge towards it").is_visible()

    page.goto(f"/en/contribute/pledges/{pledge.pk}/")
    page.get_by_role("button", name="Cancel").first.click()
    expect(page.locator("h1")).to_have_text(f"Cancel pledge #{pledge.pk}?")
    expect(page.get_by_text("No further monthly payment will be taken.")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "i14-cancel-confirm.png"), full_page=True)
    page.get_by_role("link", name="No, keep it").click()
    page.wait_for_url(f"**/en/contribute/pledges/{pledge.pk}/")
    pledge.refresh_from_db()
    assert pledge.status == "active"
    page.get_by_role("button", name="Cancel").first.click()
    page.get_by_role("button", name="Yes, cancel my pledge").click()
    page.wait_for_url(f"**/en/contribute/pledges/{pledge.pk}/")
    pledge.refresh_from_db()
    assert pledge.status == "cancelled"


def test_over_the_cap_the_preview_shows_the_error_not_a_split(
    page: Any, contributor_user: User, screenshot_dir: Path
) -> None:
    """Item 4 (part)."""
    first = ProjectFactory.create(status=ProjectStatus.ADMITTED, name="Alpha Commons")
    second = ProjectFactory.create(status=ProjectStatus.ADMITTED, name="Beta Commons")
    log_in(page, contributor_user.email)
    fill_pledge_form(page, amount="50", shares=[(first.pk, "30"), (second.pk, "25")])
    status = page.locator("#pledge-preview-status")
    assert status.inner_text() == "Your earmarks are over the cap."
    assert "notice--error" in (status.get_attribute("class") or "")
    assert status.get_attribute("role") == "alert"
    assert page.locator("#pledge-preview-rows tr").count() == 0
    assert page.locator("#pledge-preview-pool").inner_text() == "—"
    page.screenshot(path=str(screenshot_dir / "i14-pledge-over-cap.png"), full_page=True)
    page.locator("input[name=share_2]").fill("20")
    assert page.locator("#pledge-preview-rows tr").count() == 2
    assert "notice--error" not in (status.get_attribute("class") or "")
