"""Steps that several browser journeys share."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from tests.factories import TEST_PASSWORD
from tests.totp import totp_code

# How long a page's actions and `expect` wait: a loaded 2-core machine (the
# suite's other worker beside) answered a POST after Playwright's own 5 s.
TIMEOUT_MS = 15_000


def browser_state(page: Any, directory: Path) -> str:
    """What a page shows when a journey fails there: its address, title and
    error notices, with a full-page screenshot saved in `directory`."""
    lines = [f"browser at {page.url}", f"title: {page.title()}"]
    notices = page.locator(".notice--error, .errorlist, [role=alert]").all_inner_texts()
    lines.extend(f"error shown: {' '.join(text.split())}" for text in notices if text.strip())
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        dir=directory, prefix="failed-", suffix=".png", delete=False
    ) as shot:
        page.screenshot(path=shot.name, full_page=True)
    lines.append(f"screenshot: {shot.name}")
    return "\n".join(lines)


def log_in(page: Any, email: str, password: str = TEST_PASSWORD) -> None:
    """Sign in through the real English login page and wait for the home page."""
    page.goto("/en/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/en/")


def staff_log_in(page: Any, user: Any, secret: str) -> None:
    """Log `user` in through the browser's forms: password, then TOTP code;
    returns once the browser has left the accounts pages."""
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.locator("input[name=code]").fill(totp_code(secret))
    page.locator("main form button[type=submit]").first.click()
    # Not "**/": the code's own page matches that, and the wait would end
    # before the code was even checked.
    page.wait_for_url(lambda url: "/accounts/" not in url)


def fill_pledge_form(page: Any, *, amount: str, shares: list[tuple[int, str]]) -> None:
    """Fill the monthly pledge form: amount in euros, (project id, percent) earmarks."""
    page.goto("/en/contribute/pledge/")
    page.get_by_label("Monthly").check()
    page.get_by_label("Amount (euros)").fill(amount)
    for index, (project_id, percent) in enumerate(shares, start=1):
        page.locator(f"select[name=project_{index}]").select_option(str(project_id))
        page.locator(f"input[name=share_{index}]").fill(percent)


# Every table cell inside the viewport, and no table wider than its box.
CELLS_OUTSIDE = """() => {
  const width = document.documentElement.clientWidth;
  const cells = Array.from(document.querySelectorAll("main table td, main table th"));
  const outside = cells.filter((cell) => {
    const box = cell.getBoundingClientRect();
    return box.width > 0 && (box.left < -0.5 || box.right > width + 0.5);
  }).map((cell) => cell.textContent.trim().slice(0, 40));
  const scrolling = Array.from(document.querySelectorAll("main .table-wrap"))
    .filter((wrap) => wrap.scrollWidth > wrap.clientWidth + 1).length;
  // What a cell holds stays inside it (a badge that cannot wrap, squeezed
  // beside a name, spilled over the card's edge).
  const spilling = cells.filter((cell) => {
    const box = cell.getBoundingClientRect();
    return Array.from(cell.querySelectorAll("*")).some((inner) => {
      const own = inner.getBoundingClientRect();
      return own.width > 0 && own.right > box.right + 0.5;
    });
  }).map((cell) => cell.textContent.trim().slice(0, 40));
  return {cells: cells.length, outside: outside, scrolling: scrolling, spilling: spilling};
}"""

# Stacked cells of one column without their column's name (a cell spanning
# several columns is a message, and has none).
UNLABELLED = """() => Array.from(document.querySelectorAll("main table.table--stack tbody td"))
  .filter((cell) => cell.colSpan === 1 && !cell.hasAttribute("data-label")).length"""


def tables_fit(page: Any) -> int:
    """Check that the page's tables show every column at its width, each
    stacked cell naming its column, with no sideways scrolling; the number of
    table cells seen."""
    url = page.url
    result = page.evaluate(CELLS_OUTSIDE)
    assert result["outside"] == [], url
    assert result["spilling"] == [], url
    assert result["scrolling"] == 0, url
    assert page.evaluate(UNLABELLED) == 0, url
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, url
    return int(result["cells"])


# What sticks out past the right edge of its card, or of the window, outside
# any box that scrolls sideways on purpose (a wide diagram, a table's wrap):
# cut off, or pushing the page wider than the screen. Each as "tag: text".
SPILLING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const inScroller = (element) => {
    for (let box = element.parentElement; box; box = box.parentElement) {
      const overflow = getComputedStyle(box).overflowX;
      if (overflow === "auto" || overflow === "scroll") return true;
    }
    return false;
  };
  return Array.from(document.querySelectorAll("main *")).filter((element) => {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || element.closest("svg")) return false;
    const card = element.parentElement && element.parentElement.closest(".card");
    const right = card ? card.getBoundingClientRect().right : width;
    return box.right > right + 0.5 && !inScroller(element);
  }).map((element) => {
    const text = element.textContent.trim().slice(0, 60);
    return `${element.tagName.toLowerCase()}: ${text}`;
  });
}"""
