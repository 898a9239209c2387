"""The geometry of the funds charts drawn by templates as SVG (no script, no
chart library): whole user units computed from integer cents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from funds.selectors import MonthlyFunds


@dataclass(frozen=True)
class ChartBar:
    """One month of the funds chart, in the SVG's user units."""

    month: date
    amount_cents: int
    x: int
    y: int
    width: int
    height: int
    label_x: int
    show_year: bool


@dataclass(frozen=True)
class FundsChart:
    """A bar chart of `months` drawn by the template as an SVG (no script, no style
    attribute): geometry only, in whole user units; the figures stay in cents."""

    bars: list[ChartBar]
    first: MonthlyFunds
    last: MonthlyFunds
    largest: MonthlyFunds
    total_cents: int
    width: int
    height: int
    plot_top: int
    baseline: int
    scale_label_y: int
    month_label_y: int
    year_label_y: int
    is_long: bool


CHART_SLOT, CHART_BAR, CHART_MARGIN, CHART_MIN_WIDTH = 40, 28, 8, 240
CHART_TOP, CHART_PLOT_HEIGHT, CHART_LABELS_HEIGHT = 24, 160, 40
# Beyond this many months the chart keeps its size and scrolls sideways.
CHART_MAX_FITTED_MONTHS = 24


def funds_chart(*, months: list[MonthlyFunds]) -> FundsChart | None:
    """The geometry of the chart of `months` (None when there are none). Bars are
    scaled to the largest month; a month with money is at least one unit high."""
    if not months:
        return None
    largest = max(months, key=lambda m: m.amount_cents)
    scale = max(largest.amount_cents, 1)
    baseline = CHART_TOP + CHART_PLOT_HEIGHT
    bars = []
    for index, funds in enumerate(months):
        height = funds.amount_cents * CHART_PLOT_HEIGHT // scale
        if funds.amount_cents > 0:
            height = max(height, 1)
        x = CHART_MARGIN + index * CHART_SLOT + (CHART_SLOT - CHART_BAR) // 2
        bars.append(
            ChartBar(
                month=funds.month,
                amount_cents=funds.amount_cents,
                x=x,
                y=baseline - height,
                width=CHART_BAR,
                height=height,
                label_x=x + CHART_BAR // 2,
                show_year=index == 0 or funds.month.month == 1,
            )
        )
    return FundsChart(
        bars=bars,
        first=months[0],
        last=months[-1],
        largest=largest,
        total_cents=sum(m.amount_cents for m in months),
        width=max(CHART_MIN_WIDTH, 2 * CHART_MARGIN + len(months) * CHART_SLOT),
        height=baseline + CHART_LABELS_HEIGHT,
        plot_top=CHART_TOP,
        baseline=baseline,
        scale_label_y=CHART_TOP - 8,
        month_label_y=baseline + 16,
        year_label_y=baseline + 32,
        is_long=len(months) > CHART_MAX_FITTED_MONTHS,
    )
