"""What the terminal is given of text that comes from data: records, the decision log, file
names, TOML values, messages that quote any of them.

Why: a terminal obeys control characters wherever they come from. A title holding
``ESC[2K ESC[1G`` showed only the text after it, a journal holding ``ESC[2J`` cleared the
dedup-review screen and printed a fake "DUPLICATE: yes" in green, and OSC 52 writes the
clipboard on many terminals (acceptance testing, hostile input). Every such character is shown
as a visible sign instead, so the text is still all there and the oddity is seen:

- C0 controls (U+0000-U+001F) but tab and newline, as their Unicode control pictures
  (ESC as '␛', NUL as '␀', BEL as '␇'; U+2400-U+241F, in the common monospace fonts), DEL as '␡';
- C1 controls (U+0080-U+009F, which some terminals read as ESC-sequences too), which have no
  pictures, as '�';
- newline too, as '␤', where the text is one line (a title, a file name in a warning: a newline
  there could fake a line of output);
- bidirectional-text controls (U+202A-U+202E, U+2066-U+2069) are dropped: they reorder the text
  after them (a title could hide or fake what is beside it), and on their own show nothing.

The stored data keeps all of them: only the display changes. :class:`SafeConsole` applies the
same to everything it prints, so a place that forgets :func:`printable` still cannot reach the
terminal with a control character; calling it where the text is made keeps the layout right
(a control is zero columns wide to rich, its picture one).
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Iterator

from rich.console import Console
from rich.segment import Segment
from rich.text import Span, Text

_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_SHOWN: dict[int, Any] = {c: 0x2400 + c for c in range(0x20) if c not in (0x09, 0x0A)}
_SHOWN |= {0x7F: 0x2421} | dict.fromkeys(range(0x80, 0xA0), 0xFFFD) | dict.fromkeys(_BIDI)
_ONE_LINE = _SHOWN | {0x0A: 0x2424}
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROLS_OR_NEWLINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BIDI_SET = frozenset(_BIDI)

# How much of one field a display of one record shows (`screen`, the adjudicate walk,
# dedup-review's side by side). Rendering is superlinear in rich: a 5 MB abstract took 28 s to
# show and 50 MB never came up (acceptance testing). The longest real abstracts are ~10,000
# characters (structured, with a trial's full results); twice that is never cut in practice.
FIELD_LIMIT = 20_000


def printable(text: object, *, one_line: bool = False) -> str:
    """``str(text)`` for the terminal: control characters shown as visible signs, bidi controls
    dropped (see the module's docstring); with ``one_line``, a newline shown as '␤' too."""
    text = str(text)
    if (_CONTROLS_OR_NEWLINE if one_line else _CONTROLS).search(text) is None:   # the usual case: no copy
        return text
    return text.translate(_ONE_LINE if one_line else _SHOWN)


def printable_spans(text: str, spans: Iterable[tuple[int, int]],
                    ) -> tuple[str, list[tuple[int, int]]]:
    """:func:`printable` for a text with highlighted ``(start, end)`` spans, the spans moved to
    where their characters are once the bidi controls are gone (the others are replaced one
    for one)."""
    clean = printable(text)
    if len(clean) == len(text):
        return clean, list(spans)
    shift, removed = [], 0          # shift[i]: controls removed before position i
    for ch in text:
        shift.append(removed)
        removed += ord(ch) in _BIDI_SET
    shift.append(removed)
    return clean, [(a - shift[a], b - shift[b]) for a, b in spans]


def capped(text: object, field: str, limit: int = FIELD_LIMIT) -> str:
    """``text`` as a display of one record shows it: whole up to ``limit`` characters, else its
    start (cut at a space near the limit) and a note saying how long it is and where it is."""
    text = "" if text is None else str(text)
    if len(text) <= limit:
        return text
    start = text[:limit]
    space = start.rfind(" ", limit - 200)
    start = start[:space] if space > 0 else start
    return (f"{start} … ({field} truncated: {len(text):,} characters; "
            "the full text is in the records table)")


def shown(text: object, field: str, *, one_line: bool = False) -> str:
    """A field of one record for the terminal: :func:`capped`, then :func:`printable` (in that
    order: a 50 MB field is not translated whole to show 20,000 characters of it)."""
    return printable(capped(text, field), one_line=one_line)


def _clean_text(text: Text) -> Text:
    """A rich Text with its controls shown as :func:`printable` shows them, its styled spans kept
    on their characters."""
    if _CONTROLS.search(text.plain) is None:
        return text
    clean, moved = printable_spans(text.plain, [(s.start, s.end) for s in text.spans])
    out = text.blank_copy(clean)
    out.spans = [Span(a, b, s.style) for (a, b), s in zip(moved, text.spans)]
    return out


class SafeConsole(Console):
    """A rich Console that shows every control character in what it prints as :func:`printable`
    does: strings before layout (tables, rules, plain prints), Texts before layout, and, as a
    last line, every text segment after it. Rich's own control segments (cursor moves of the
    spinner, styles) are left alone: they are not data."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(printable(text), **kwargs)

    def render(self, renderable: Any, options: Any = None) -> Iterator[Segment]:
        if isinstance(renderable, Text):
            renderable = _clean_text(renderable)
        for segment in super().render(renderable, options):
            if segment.control is None and _CONTROLS.search(segment.text) is not None:
                segment = Segment(printable(segment.text), segment.style)
            yield segment
