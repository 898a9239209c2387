"""The geometry of the transparency page's flow diagram (a Sankey: kinds of
contributor -> earmarks, the pool and the fee -> projects), drawn by the
template as SVG on the server: whole user units from integer cents, no script."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WIDTH = 760
NODE_WIDTH = 14
COLUMNS_X = (180, 380, 566)
TOP = 12
PLOT_HEIGHT = 300
GAP = 34  # between two nodes of a column: room for a two-line label


@dataclass
class Node:
    key: str
    label: Any
    cents: int
    column: int
    x: int = 0
    y: int = 0
    height: int = 0
    out_offset: int = 0
    in_offset: int = 0

    @property
    def label_x(self) -> int:
        return self.x - 6 if self.column == 0 else self.x + NODE_WIDTH + 6

    @property
    def label_anchor(self) -> str:
        return "end" if self.column == 0 else "start"

    @property
    def label_y(self) -> int:
        return self.y + self.height // 2


@dataclass(frozen=True)
class Link:
    source: Node
    target: Node
    cents: int
    path: str

    @property
    def tone(self) -> str:
        """The pool's money has a colour of its own, in and out."""
        pool = {"pool", "carried"}
        return "pool" if pool & {self.source.key, self.target.key} else "earmark"


@dataclass
class Sankey:
    nodes: list[Node]
    links: list[Link] = field(default_factory=list)
    width: int = WIDTH
    height: int = 0


def sankey(
    *, nodes: list[Node], flows: list[tuple[str, str, int]], width: int = WIDTH
) -> Sankey | None:
    """Lay out `nodes` (in columns 0, 1, 2) and the `flows` (source key, target
    key, cents) between them; a node's height is its cents on one scale shared
    by every column. None when there is nothing to draw."""
    shown = [node for node in nodes if node.cents > 0]
    if not shown:
        return None
    columns: list[list[Node]] = [[n for n in shown if n.column == c] for c in range(3)]
    biggest = max(sum(n.cents for n in column) for column in columns)
    most = max(len(column) for column in columns)
    plot = max(PLOT_HEIGHT, most * GAP)
    for index, column in enumerate(columns):
        y = TOP
        for node in column:
            node.x = COLUMNS_X[index]
            node.y = y
            node.height = max(2, node.cents * plot // biggest)
            y += node.height + GAP
    height = TOP + max(sum(n.height + GAP for n in column) for column in columns)
    by_key = {node.key: node for node in shown}
    links = []
    for source_key, target_key, cents in flows:
        source, target = by_key.get(source_key), by_key.get(target_key)
        if source is None or target is None or cents <= 0:
            continue
        thickness = max(1, cents * plot // biggest)
        y0, y1 = source.y + source.out_offset, target.y + target.in_offset
        source.out_offset += thickness
        target.in_offset += thickness
        x0, x1 = source.x + NODE_WIDTH, target.x
        middle = (x0 + x1) // 2
        path = (
            f"M{x0} {y0}C{middle} {y0} {middle} {y1} {x1} {y1}"
            f"L{x1} {y1 + thickness}C{middle} {y1 + thickness} {middle} {y0 + thickness} "
            f"{x0} {y0 + thickness}Z"
        )
        links.append(Link(source=source, target=target, cents=cents, path=path))
    return Sankey(nodes=shown, links=links, width=width, height=height)
