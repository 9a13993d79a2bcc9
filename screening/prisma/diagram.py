"""The PRISMA 2020 flow diagram, drawn with matplotlib as SVG, PNG and PDF.

A tiny layout model keeps this readable: :func:`build_layout` turns counts into
:class:`Box` objects placed on a grid (a column, a row) with their text; :func:`place`
computes every box's size and position from its wrapped text; :func:`draw` renders boxes,
arrows and the side phase labels (Identification / Screening / Included) as in the PRISMA
2020 template for new reviews (databases and registers).

Figures are 7 in wide with 8 pt text (journal double-column size). Output is deterministic:
SVG keeps text as ``<text>`` (``svg.fonttype = none``, so the diagram stays editable and its
text can be checked), the SVG hash salt is fixed and creation dates are left out of the SVG and
PDF metadata, so the same counts always give the same bytes.
"""

from __future__ import annotations

import io
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from screening.prisma.model import PrismaCounts

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# matplotlib is imported where a figure is drawn: importing it costs ~0.25 s, which every
# command would otherwise pay at start-up (the CLI imports the PRISMA module to register it).

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
STYLES = {
    "box": {"face": "white", "edge": "black"},
    "header": {"face": "#FFD966", "edge": "#BF9000"},
    "grey": {"face": "#D9D9D9", "edge": "#7F7F7F"},
    "phase": {"face": "#9DC3E6", "edge": "#2E75B6"},
}


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


def fmt(n: int) -> str:
    return f"{n:,}"


def p_text(p: float, confidence: float | None = None) -> str:
    """A p-value as a paper states it: two significant figures, more when two would round it
    across the test's threshold (1 - confidence): p = 0.0496 under 0.05 must not read 'p = 0.05'
    beside 'recall was at least 95% with 95% confidence' (acceptance testing)."""
    alpha = None if confidence is None else round(1 - float(confidence), 12)    # 1 - 0.95 is 0.05000000000000004
    for digits in (2, 3, 4, 6):
        shown = f"{p:.{digits}g}"
        if alpha is None or (float(shown) < alpha) == (p < alpha):
            return shown
    return repr(float(p))


def _n(label: str, n: int, partial: bool = False) -> str:
    """``Label (n = 1,234)``; ``(n = 12 so far)`` while the stage feeding the box is unfinished."""
    return f"{label} (n = {fmt(n)}{' so far' if partial else ''})"


def build_layout(c: PrismaCounts, *, footer: str | Sequence[str] | None = None) -> Layout:
    """The boxes, arrows and phases of the PRISMA 2020 'new review' flow for these counts."""
    ident = [Line("Records identified from*:", bold=True),
             Line(_n("Databases", c.identified_databases))]
    ident += [Line(_n(db, n), indent=1) for db, n in c.databases.items()]
    ident.append(Line(_n("Registers", c.identified_registers)))
    ident += [Line(_n(r, n), indent=1) for r, n in c.registers.items()]
    if c.other_methods and not c.other.any:     # typed counts only: no column to follow them down
        ident.append(Line(_n("Other methods (not screened here)", c.identified_other)))
        ident += [Line(_n(k, n), indent=1) for k, n in c.other_methods.items()]

    removed = [Line("Records removed before screening:", bold=True),
               Line(_n("Duplicate records removed", c.duplicates), indent=1),
               Line(_n("Records marked as ineligible by automation tools (rules)", c.automation_rules), indent=1)]
    removed += [Line(_n(r, n), indent=2) for r, n in c.automation_rules_reasons.items()]
    removed.append(Line(_n("Records removed for other reasons", c.removed_other), indent=1))
    removed += [Line(_n(r, n), indent=2) for r, n in c.removed_other_reasons.items()]

    screened = [Line(_n("Records screened", c.records_screened), bold=True)]
    ta = c.title_abstract
    if c.settling_after_stop:
        screened.append(Line(f"stopped; {fmt(c.title_abstract_open)} still being settled"))
    elif c.unscreened_after_stop:
        screened.append(Line(f"{ta.status}: {fmt(c.unscreened_after_stop)} to screen since the stop"))
    elif c.screening_in_progress:
        screened.append(Line(f"{ta.status}: {fmt(ta.done)} of {fmt(ta.total)} screened"))
    p1, p2 = c.downstream_of_screening_partial, c.downstream_of_full_text_partial
    excluded = [Line(_n("Records excluded**", c.records_excluded, p1), bold=True),
                Line(_n("by reviewers", c.excluded_human, p1), indent=1)]
    if c.stopped:
        excluded.append(Line(_n("by automation tools (stopping rule)", c.excluded_automation), indent=1))

    # the reports to assess (sought less those not retrieved, which full text may still add to)
    assessed = [Line(_n("Reports assessed for eligibility", c.reports_assessed, p2), bold=True)]
    if c.full_text_in_progress:
        assessed.append(Line(f"{c.full_text.status}: {fmt(c.full_text.done)} of {fmt(c.full_text.total)} assessed"))
    ft_excl = [Line(_n("Reports excluded", c.reports_excluded, p2) + (":" if c.reports_excluded_reasons else ""),
                    bold=True)]
    ft_excl += [Line(_n(r, n), indent=1) for r, n in c.reports_excluded_reasons.items()]

    new = "new " if c.is_update else ""     # an update's flow ends in its new studies
    p3 = c.included_partial
    included = [Line(_n(f"{new}studies included in review".capitalize(), c.studies_included, p3), bold=True),
                Line(_n(f"Reports of {new}included studies", c.reports_included, p3))]
    # the template of a new review says 'studies'; an update's, 'new studies'
    header = f"Identification of {new}studies via databases and registers"
    if c.update_round:
        header += f" (searches of {c.update_round})"

    boxes = [
        Box("header", "span", 0, [Line(header, bold=True)], style="header", center=True),
        Box("identified", "main", 1, ident),
        Box("removed", "side", 1, removed),
        Box("screened", "main", 2, screened),
        Box("excluded", "side", 2, excluded),
        Box("sought", "main", 3, [Line(_n("Reports sought for retrieval", c.reports_sought, p1), bold=True)]),
        Box("not_retrieved", "side", 3, [Line(_n("Reports not retrieved", c.reports_not_retrieved, p2),
                                              bold=True)]),
        Box("assessed", "main", 4, assessed),
        Box("ft_excluded", "side", 4, ft_excl),
        Box("included", "main", 5, included),
    ]
    arrows = [("identified", "removed"), ("identified", "screened"), ("screened", "excluded"),
              ("screened", "sought"), ("sought", "not_retrieved"), ("sought", "assessed"),
              ("assessed", "ft_excluded"), ("assessed", "included")]
    phases = [("Identification", 1, 1), ("Screening", 2, 4), ("Included", 5, 5)]
    notes = ["*Records identified per database or register searched.",
             "**Records excluded by a human and by automation tools are reported separately."]
    columns = dict(COLUMNS)
    if c.is_update:
        columns = dict(UPDATE_COLUMNS)
        boxes += [
            Box("prev_header", "prev", 0, [Line("Previous studies", bold=True)], style="header", center=True),
            Box("previous", "prev", 1, [
                Line(_n("Studies included in previous version of review", c.previous_studies or 0,
                        c.previous_pending > 0), bold=True),
                Line(_n("Reports of studies included in previous version of review", c.previous_reports or 0,
                        c.previous_pending > 0))]),
            Box("total", "main", 6, [
                Line(_n("Total studies included in review", c.total_studies, c.total_partial), bold=True),
                Line(_n("Reports of total included studies", c.total_reports, c.total_partial))]),
        ]
        arrows += [("included", "total"), ("previous", "total")]
        phases = [("Identification", 1, 1), ("Screening", 2, 4), ("Included", 5, 6)]
        closed = (f"; {fmt(c.previous_excluded_automation)} of its records were closed unscreened by the "
                  "stopping rule" if c.previous_excluded_automation else "")
        notes.append(f"Previous version: the records found by the searches before {c.update_round.split(' ')[0]} "
                     f"and screened{closed}. An update record whose study the previous version included, or "
                     "screened with no decision on this record in the update, is counted as a duplicate removed.")
    width = WIDTH_IN
    if c.other.any:
        if c.is_update:     # no room for both extra columns on one page
            notes.append("Records identified by other methods are counted in report.md (an updated review's "
                         "flow draws no other-methods column).")
        else:
            columns, width = dict(OTHER_COLUMNS), OTHER_WIDTH_IN
            boxes, arrows = _with_other_column(c, boxes, arrows, new)
    notes += [footer] if isinstance(footer, str) else list(footer or [])
    return Layout(boxes=boxes, arrows=arrows, phases=phases, footer=notes, columns=columns, width=width)


def _with_other_column(c: PrismaCounts, boxes: list[Box], arrows: list[tuple[str, str]],
                       new: str) -> tuple[list[Box], list[tuple[str, str]]]:
    """The template's grey 'via other methods' column: records identified (per method), reports
    sought, not retrieved, assessed and excluded; its included reports join the studies box."""
    o = c.other
    partial = c.other_in_progress
    ident = [Line("Records identified from:", bold=True)]
    for k, n in c.other_methods.items():
        # a count typed in [prisma] other_methods names records the tool never saw: no flow below
        ident.append(Line(_n(k, n) + ("" if k in o.identified else ": a typed count, not followed below"), indent=1))
    if o.already_identified:
        ident.append(Line(_n("already identified (duplicates)", o.already_identified), indent=1))
    if o.removed:
        ident.append(Line(_n("removed for other reasons", o.removed), indent=1))
    assessed = [Line(_n("Reports assessed for eligibility", o.reports_assessed, partial), bold=True)]
    if partial:
        assessed.append(Line(f"{o.full_text.status}: {fmt(o.full_text.done)} of {fmt(o.full_text.total)} assessed"))
    excluded = [Line(_n("Reports excluded", o.reports_excluded, partial) + (":" if o.reports_excluded_reasons else ""),
                     bold=True)]
    excluded += [Line(_n(r, n), indent=1) for r, n in o.reports_excluded_reasons.items()]
    boxes += [
        Box("o_header", "ospan", 0, [Line(f"Identification of {new}studies via other methods", bold=True)],
            style="grey", center=True),
        Box("o_identified", "omain", 1, ident),
        Box("o_sought", "omain", 3, [Line(_n("Reports sought for retrieval", o.reports_sought), bold=True)]),
        Box("o_not_retrieved", "oside", 3, [Line(_n("Reports not retrieved", o.reports_not_retrieved, partial),
                                                 bold=True)]),
        Box("o_assessed", "omain", 4, assessed),
        Box("o_excluded", "oside", 4, excluded),
    ]
    arrows = arrows + [("o_identified", "o_sought"), ("o_sought", "o_not_retrieved"), ("o_sought", "o_assessed"),
                       ("o_assessed", "o_excluded"), ("o_assessed", "included")]
    return boxes, arrows


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


def render(c: PrismaCounts, fmt_: str, *, footer: str | Sequence[str] | None = None, dpi: int = 300) -> bytes:
    """The diagram as bytes in ``fmt_`` ('svg', 'png' or 'pdf'); deterministic for the same input."""
    import matplotlib

    if fmt_ not in _METADATA:
        raise ValueError(f"unsupported diagram format {fmt_!r}")
    with matplotlib.rc_context(_RC):
        fig = draw(place(build_layout(c, footer=footer)))
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt_, dpi=dpi, metadata=_METADATA[fmt_])
    return buf.getvalue()


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
