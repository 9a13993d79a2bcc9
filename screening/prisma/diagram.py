"""The PRISMA 2020 flow diagram, drawn with matplotlib as SVG, PNG and PDF.

A tiny layout model keeps this readable: :func:`~.diagram_boxes.build_layout` turns counts into
:class:`~.diagram_geometry.Box` objects placed on a grid (a column, a row) with their text;
:func:`~.diagram_geometry.place` computes every box's size and position from its wrapped text;
:func:`draw` (here) renders boxes, arrows and the side phase labels (Identification / Screening /
Included) as in the PRISMA 2020 template for new reviews (databases and registers).

Figures are 7 in wide with 8 pt text (journal double-column size). Output is deterministic:
SVG keeps text as ``<text>`` (``svg.fonttype = none``, so the diagram stays editable and its
text can be checked), the SVG hash salt is fixed and creation dates are left out of the SVG and
PDF metadata, so the same counts always give the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from screening.prisma.diagram_boxes import build_layout
from screening.prisma.diagram_fonts import diagram_fonts, quiet_glyph_warnings
from screening.prisma.diagram_geometry import (
    CHAR_IN, COLUMNS, FONT_PT, LINE_IN, MARGIN_IN, OTHER_COLUMNS, OTHER_WIDTH_IN, PAD_IN, ROW_GAP_IN,
    UPDATE_COLUMNS, WIDTH_IN, Box, Layout, Line, place,
)
from screening.prisma.model import PrismaCounts
from screening.prisma.number_format import fmt, p_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# matplotlib is imported where a figure is drawn: importing it costs ~0.25 s, which every
# command would otherwise pay at start-up (the CLI imports the PRISMA module to register it).

STYLES = {
    "box": {"face": "white", "edge": "black"},
    "header": {"face": "#FFD966", "edge": "#BF9000"},
    "grey": {"face": "#D9D9D9", "edge": "#7F7F7F"},
    "phase": {"face": "#9DC3E6", "edge": "#2E75B6"},
}


def _rect(ax, x: float, y: float, w: float, h: float, style: str) -> None:
    from matplotlib.patches import FancyBboxPatch

    s = STYLES[style]
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=0.04",
                                facecolor=s["face"], edgecolor=s["edge"], linewidth=0.8))


def draw(layout: Layout) -> Figure:
    """Render a placed layout on a new Figure (coordinates in inches, y downwards)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch

    fig = Figure(figsize=(layout.width, layout.height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, layout.width)
    ax.set_ylim(layout.height, 0)
    ax.set_axis_off()
    by_key = {b.key: b for b in layout.boxes}
    rows = {b.row: b for b in layout.boxes if b.column == "main"}

    for label, first, last in layout.phases:
        top, bottom = rows[first].y, rows[last].y + rows[last].h
        x, w = layout.columns["phase"]
        _rect(ax, x, top, w, bottom - top, "phase")
        ax.text(x + w / 2, (top + bottom) / 2, label, rotation=90, ha="center", va="center",
                fontsize=FONT_PT + 1, fontweight="bold", parse_math=False)

    for box in layout.boxes:
        _rect(ax, box.x, box.y, box.w, box.h, box.style)
        text_h = len(box.wrapped) * LINE_IN
        y0 = box.y + (box.h - text_h) / 2
        for i, line in enumerate(box.wrapped):
            if box.center:
                x, ha = box.x + box.w / 2, "center"
            else:
                x, ha = box.x + PAD_IN + 0.14 * line.indent, "left"
            # parse_math off: a '$' in a reason or a database name ("US$ only") is text, not
            # the start of matplotlib's maths mode, which dropped the signs and italicised the rest
            ax.text(x, y0 + (i + 0.5) * LINE_IN, line.text, ha=ha, va="center", fontsize=FONT_PT,
                    fontweight="bold" if line.bold else "normal", parse_math=False)

    for src, dst in layout.arrows:
        a, b = by_key[src], by_key[dst]
        if a.row == b.row:     # horizontal: main -> side
            start, end = (a.x + a.w, a.y + a.h / 2), (b.x, b.y + b.h / 2)
        elif a.column != b.column:     # elbow: down the previous-studies (other methods') column, then across
            corner = (a.x + a.w / 2, b.y + b.h / 2)
            ax.plot([a.x + a.w / 2, corner[0]], [a.y + a.h, corner[1]], color="black", linewidth=0.9)
            start, end = corner, ((b.x, b.y + b.h / 2) if a.x < b.x else (b.x + b.w, b.y + b.h / 2))
        else:                  # vertical: down the main column
            start, end = (a.x + a.w / 2, a.y + a.h), (b.x + b.w / 2, b.y)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9, linewidth=0.9,
                                     color="black", shrinkA=0, shrinkB=0))

    y = layout.height - MARGIN_IN - len(layout.footer) * LINE_IN
    for note in layout.footer:
        ax.text(layout.columns["phase"][0], y + LINE_IN / 2, note, ha="left", va="center", fontsize=FONT_PT,
                color="#404040", parse_math=False)
        y += LINE_IN
    return fig


_RC = {
    "svg.hashsalt": "screening-prisma",
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
    "path.simplify": False,
}
_METADATA = {
    "svg": {"Date": None, "Creator": "screening"},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": "screening", "Producer": "screening"},
    "png": {"Software": "screening"},
}


def layout_text(layout: Layout) -> str:
    """Every string the diagram draws, one per line (for the fonts it needs)."""
    lines = [line.text for box in layout.boxes for line in box.wrapped]
    return "\n".join([*lines, *(label for label, _, _ in layout.phases), *layout.footer])


def render(c: PrismaCounts, fmt_: str, *, footer: str | Sequence[str] | None = None, dpi: int = 300) -> bytes:
    """The diagram as bytes in ``fmt_`` ('svg', 'png' or 'pdf'); deterministic for the same input
    (and the same installed fonts: the PNG and PDF draw what DejaVu Sans lacks in a font that
    has it, :mod:`.diagram_fonts`; the SVG leaves fonts to its viewer)."""
    import matplotlib

    if fmt_ not in _METADATA:
        raise ValueError(f"unsupported diagram format {fmt_!r}")
    layout = place(build_layout(c, footer=footer))
    rc = dict(_RC)
    if fmt_ != "svg":
        rc["font.family"] = list(diagram_fonts(layout_text(layout)).families)
    with matplotlib.rc_context(rc), quiet_glyph_warnings():
        fig = draw(layout)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt_, dpi=dpi, metadata=_METADATA[fmt_])
    return buf.getvalue()


def diagram_warnings(c: PrismaCounts, *, footer: str | Sequence[str] | None = None) -> list[str]:
    """What the PNG and PDF cannot show (characters no installed font has), said once for the
    report rather than as matplotlib's warning per glyph and format."""
    warning = diagram_fonts(layout_text(place(build_layout(c, footer=footer)))).warning()
    return [warning] if warning else []


def write_diagrams(c: PrismaCounts, out_dir: Path, *, footer: str | Sequence[str] | None = None,
                   stem: str = "prisma_flow") -> dict[str, Path]:
    """Write ``<stem>.svg``, ``.png`` and ``.pdf`` atomically; returns the paths by format."""
    from screening.atomic_files import atomic_write_bytes

    paths = {}
    for ext in ("svg", "png", "pdf"):
        path = Path(out_dir) / f"{stem}.{ext}"
        atomic_write_bytes(path, render(c, ext, footer=footer))
        paths[ext] = path
    return paths


def svg_texts(svg: bytes | str) -> list[str]:
    """Every ``<text>`` string in an SVG, in document order (for golden tests and audits)."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg if isinstance(svg, (bytes, str)) else bytes(svg))
    ns = "{http://www.w3.org/2000/svg}"
    return ["".join(el.itertext()) for el in root.iter(f"{ns}text")]


# the layout and number names are re-exported: callers imported them from here before they had
# modules of their own
__all__ = [
    "CHAR_IN", "COLUMNS", "FONT_PT", "LINE_IN", "MARGIN_IN", "OTHER_COLUMNS", "OTHER_WIDTH_IN", "PAD_IN",
    "ROW_GAP_IN", "STYLES", "UPDATE_COLUMNS", "WIDTH_IN", "Box", "Layout", "Line", "build_layout", "diagram_warnings",
    "draw", "fmt", "layout_text", "p_text", "place", "render", "svg_texts", "write_diagrams",
]
