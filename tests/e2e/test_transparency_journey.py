"""In Chromium: the transparency page at 1280 and 390 px, with two months of
figures, a round and payouts: no horizontal overflow, every table column in
view, the flow diagram drawn with labels a person can read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from funds.models import Receipt
from tests.allocation.transparency_data import funded_months
from tests.browser import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Cells of the page's tables that end beyond the viewport's right edge.
CELLS_OUT_OF_VIEW = """() => [...document.querySelectorAll('main table th, main table td')]
  .filter((cell) => cell.getClientRects().length)
  .filter((cell) => cell.getBoundingClientRect().right > window.innerWidth + 1)
  .map((cell) => cell.textContent.trim())"""
# One-word links of the page's tables broken inside the word (a link squeezed to
# a sliver wraps "JSON" as "JSO/N"): split over two lines, or taller than one.
LINKS_BROKEN = """() => [...document.querySelectorAll('main table a')]
  .filter((link) => link.getClientRects().length && !/\\s/.test(link.textContent.trim()))
  .filter((link) => {
    const rects = link.getClientRects();
    const line = parseFloat(getComputedStyle(link).lineHeight);
    return rects.length > 1 || rects[0].height > 1.5 * line;
  })
  .map((link) => link.textContent.trim())"""


@pytest.mark.parametrize("width", [1280, 390])
def test_the_transparency_page_fits_and_draws_its_flows(
    page: Any, screenshot_dir: Path, width: int
) -> None:
    funded_months()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/en/transparency/")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert page.evaluate(CELLS_OUT_OF_VIEW) == []
    assert page.evaluate(LINKS_BROKEN) == []
    diagram = page.locator(".sankey svg")
    assert diagram.is_visible()
    assert page.locator(".sankey .sankey__link").count() >= 6
    # The diagram keeps its own size (labels at 12 px) and scrolls inside its box.
    box = diagram.bounding_box()
    assert box["width"] >= 760
    label = page.locator(".sankey__name", has_text="Public bodies")
    assert label.evaluate("node => parseFloat(getComputedStyle(node).fontSize)") >= 12
    assert (
        page.get_by_role("cell", name="Alpha Paid").count()
        + page.locator("#projects a", has_text="Alpha Paid").count()
        >= 1
    )
    page.screenshot(path=str(screenshot_dir / f"transparency-{width}.png"), full_page=True)
    page.goto("/en/transparency/?month=2026-04")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert page.evaluate(CELLS_OUT_OF_VIEW) == []
    assert page.evaluate(LINKS_BROKEN) == []
    assert page.get_by_text("The pool was shared by the round of decision").is_visible()
    page.screenshot(path=str(screenshot_dir / f"transparency-april-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_contributor_sees_where_a_receipt_split_three_ways_went(
    page: Any, screenshot_dir: Path, width: int
) -> None:
    funded_months()
    receipt = Receipt.objects.select_related("contributor__user").get(gross_cents=100_001)
    page.set_viewport_size({"width": width, "height": 900})
    user = receipt.contributor.user
    assert user is not None
    log_in(page, user.email)
    page.goto("/en/contribute/mine/")
    page.get_by_role("link", name="Allocated in April 2026").click()
    page.wait_for_url(f"**/en/transparency/receipts/{receipt.pk}/")
    assert page.locator("h1").inner_text() == "Where my money went"
    projects = page.locator("#projects tbody tr")
    assert projects.count() == 3  # two earmarks, and a project of the round only
    assert page.get_by_text("by round 2026-04/1 (April 2026)").first.is_visible()
    assert page.locator("#pool-kept").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert page.evaluate(CELLS_OUT_OF_VIEW) == []
    assert page.evaluate(LINKS_BROKEN) == []
    page.screenshot(path=str(screenshot_dir / f"receipt-trace-{width}.png"), full_page=True)
