"""The flow diagram's page geometry and box model: sizes in inches, the templates' columns,
:class:`Line` / :class:`Box` / :class:`Layout`, and :func:`place`, which wraps each box's text
to its column and stacks the rows.

Apart from what the boxes say (:mod:`.diagram_boxes`) and from drawing them (:mod:`.diagram`):
sizes and positions are computed here without matplotlib, so a layout can be checked cheaply.
Figures are 7 in wide with 8 pt text (journal double-column size).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

FONT_PT = 8.0
LINE_IN = FONT_PT * 1.32 / 72          # line height, inches
CHAR_IN = FONT_PT * 0.56 / 72          # conservative mean glyph width of DejaVu Sans, inches
PAD_IN = 0.07                          # text padding inside a box
ROW_GAP_IN = 0.26                      # vertical space between rows (room for arrows)
MARGIN_IN = 0.08
WIDTH_IN = 7.0

# Columns: (x, width) in inches. 'phase' = the blue side labels.
COLUMNS: dict[str, tuple[float, float]] = {
    "phase": (MARGIN_IN, 0.30),
    "main": (0.55, 3.0),
    "side": (3.92, WIDTH_IN - 3.92 - MARGIN_IN),
    "span": (0.55, WIDTH_IN - 0.55 - MARGIN_IN),
}
# The template for updated reviews adds a column on the left for the previous version.
UPDATE_COLUMNS: dict[str, tuple[float, float]] = {
    "phase": (MARGIN_IN, 0.30),
    "prev": (0.55, 1.45),
    "main": (2.22, 2.45),
    "side": (4.89, WIDTH_IN - 4.89 - MARGIN_IN),
    "span": (2.22, WIDTH_IN - 2.22 - MARGIN_IN),
}
# With records identified by other methods, the template's second column of boxes to the right
# (its own sought / not retrieved / assessed / excluded boxes), on a wider page.
OTHER_WIDTH_IN = 9.0
OTHER_COLUMNS: dict[str, tuple[float, float]] = {
    "phase": (MARGIN_IN, 0.30),
    "main": (0.55, 2.05),
    "side": (2.78, 2.05),
    "span": (0.55, 4.28),
    "omain": (5.05, 1.85),
    "oside": (7.05, OTHER_WIDTH_IN - 7.05 - MARGIN_IN),
    "ospan": (5.05, OTHER_WIDTH_IN - 5.05 - MARGIN_IN),
}


def _with_previous(columns: dict[str, tuple[float, float]], width: float,
                   ) -> tuple[dict[str, tuple[float, float]], float]:
    """``columns`` with the updated-review template's previous-studies column on the left:
    every other column moves right by its width and a gap, on a page as much wider."""
    prev_x, prev_w = UPDATE_COLUMNS["prev"]
    shift = prev_w + 0.17
    moved = {key: (x + shift, w) for key, (x, w) in columns.items() if key != "phase"}
    return {"phase": columns["phase"], "prev": (prev_x, prev_w), **moved}, width + shift


# An updated review with other methods: the previous studies, the databases' two columns and
# the grey two on the right (its landscape page).
UPDATE_OTHER_COLUMNS, UPDATE_OTHER_WIDTH_IN = _with_previous(OTHER_COLUMNS, OTHER_WIDTH_IN)


@dataclass
class Line:
    text: str
    bold: bool = False
    indent: int = 0


@dataclass
class Box:
    key: str
    column: str                       # a key of COLUMNS
    row: int
    lines: list[Line]
    style: str = "box"
    center: bool = False
    # filled by place()
    x: float = 0.0
    y: float = 0.0                    # top edge, inches from the top
    w: float = 0.0
    h: float = 0.0
    wrapped: list[Line] = field(default_factory=list)


@dataclass
class Layout:
    boxes: list[Box]
    arrows: list[tuple[str, str]]             # (from box key, to box key)
    phases: list[tuple[str, int, int]]        # (label, first row, last row)
    footer: list[str] = field(default_factory=list)
    height: float = 0.0
    columns: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(COLUMNS))
    width: float = WIDTH_IN


def _wrap(line: Line, width_in: float) -> list[Line]:
    indent_in = 0.14 * line.indent
    chars = max(12, int((width_in - 2 * PAD_IN - indent_in) / CHAR_IN))
    # keep "(n = 1,234 so far)" on one line: protect its spaces from the wrapper
    text = re.sub(r"\(n = [^)]*\)", lambda m: m.group(0).replace(" ", "\0"), line.text)
    parts = textwrap.wrap(text, chars, subsequent_indent="  ") or [""]
    return [Line(p.replace("\0", " "), line.bold, line.indent) for p in parts]


def place(layout: Layout) -> Layout:
    """Wrap each box's text to its column, size boxes, then stack rows from the top."""
    rows: dict[int, list[Box]] = {}
    for box in layout.boxes:
        x, w = layout.columns[box.column]
        box.x, box.w = x, w
        box.wrapped = [p for line in box.lines for p in _wrap(line, w)]
        box.h = len(box.wrapped) * LINE_IN + 2 * PAD_IN
        rows.setdefault(box.row, []).append(box)
    # A phase label spanning one row needs that row tall enough for its rotated text.
    need = {first: len(label) * CHAR_IN * 1.25 + 2 * PAD_IN
            for label, first, last in layout.phases if first == last}
    y = MARGIN_IN
    for r in sorted(rows):
        height = max([b.h for b in rows[r]] + [need.get(r, 0.0)])
        for b in rows[r]:
            b.y = y
            b.h = height                       # boxes of a row share a height, as in the template
        y += height + ROW_GAP_IN
    layout.footer = [p.text for note in layout.footer
                     for p in _wrap(Line(note), layout.width - 2 * MARGIN_IN + 2 * PAD_IN)]
    footer_h = len(layout.footer) * LINE_IN
    layout.height = y - ROW_GAP_IN + 0.12 + footer_h + MARGIN_IN
    return layout
