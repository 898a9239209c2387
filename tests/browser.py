"""Steps that several browser journeys share."""

from __future__ import annotations

from typing import Any

from tests.factories import TEST_PASSWORD


def log_in(page: Any, email: str, password: str = TEST_PASSWORD) -> None:
    """Sign in through the real English login page and wait for the home page."""
    page.goto("/en/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/en/")


def fill_pledge_form(page: Any, *, amount: str, shares: list[tuple[int, str]]) -> None:
    """Fill the monthly pledge form: amount in euros, (project id, percent) earmarks."""
    page.goto("/en/contribute/pledge/")
    page.get_by_label("Monthly").check()
    page.get_by_label("Amount (euros)").fill(amount)
    for index, (project_id, percent) in enumerate(shares, start=1):
        page.locator(f"select[name=project_{index}]").select_option(str(project_id))
        page.locator(f"input[name=share_{index}]").fill(percent)
