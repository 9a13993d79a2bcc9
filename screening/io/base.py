"""The reader contract and registry.

A reader is a module that registers a :class:`Reader`: a ``sniff`` function scoring how much
some decoded text looks like its format (0 = not at all, 1 = certain), and a ``parse``
function returning a :class:`ParseResult`. Readers are pure: text in, records out; they
never open files (the ingest stage does) and never print.

Every ``ParseResult`` states ``expected_count``, the number of records the file's *own*
markers declare (``TY  -`` / ``ER  -`` lines, ``PMID-`` lines, ``<PubmedArticle>`` elements,
CSV data rows, ``Record #N of M`` headers...). Ingest compares it with ``len(records)`` and
fails loudly on a mismatch, so a reader bug can never silently lose a record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from screening.errors import InputError


@dataclass
class ParsedRecord:
    """One record as a reader produced it.

    ``fields`` uses canonical column names (see :mod:`screening.records`): ``title``,
    ``abstract``, ``authors`` (list of 'Family, Given'), ``year`` (int or None), ``journal``,
    ``doi`` (normalised), ``keywords`` (list), ``publication_type`` (list), ... Readers put
    whatever else a source gives that dedup or screening can use under canonical names too.
    """

    fields: dict[str, Any]
    line: int                       # 1-based line where the record starts in the file
    source_db: str = ""             # database named by the export itself, if any


def join_notes(notes: Iterable[str]) -> str:
    """A record's ``notes`` field from its notes, each already cleaned as its reader cleans
    text: every non-empty note once, in order, one per line. One rule for every reader, so a
    record's notes read the same whichever export it came from (RIS N1 lines, MEDLINE's
    comment links, BibTeX annote fields, a CSV's notes cell)."""
    return "\n".join(dict.fromkeys(n for n in notes if n))


# between two languages of one value: a ';'-list (our own export writes 'ger; eng' in one LA
# line) or a continuation line (Ovid's tagged LG); ',' and 'and' are left to the rules, since a
# value such as 'Chinese (Simplified), Traditional' is not ours to take apart
_LANGUAGE_SEP = re.compile(r"[;\n]")


def join_languages(values: Iterable[str | None] | None) -> str:
    """A record's ``language`` from every language value its export gives: each once
    (case-insensitively: MEDLINE's 'eng' beside 'ENG'), in the export's order, ``'; '``-joined.

    PubMed repeats ``LA`` / ``<Language>`` for an article printed in two languages ('ger',
    then 'eng'), RIS repeats ``LA``, Web of Science continues ``LA`` on the next line. Readers
    used to keep the first only, so a German+English article was 'not in English' to a
    language rule; the rules read '; '-joined languages as every language named
    (docs/rules.md). One rule for every reader, as :func:`join_notes` is for notes."""
    if not values:
        return ""
    if type(values) is list and len(values) == 1:
        value = values[0] or ""       # the usual case, on ingest's hot path: one LA value
        if ";" not in value and "\n" not in value:
            return value.strip()
    out: dict[str, str] = {}
    for value in values:
        for part in _LANGUAGE_SEP.split(value or ""):
            part = part.strip()
            if part:
                out.setdefault(part.casefold(), part)
    return "; ".join(out.values())


_NON_WORD = re.compile(r"[\W_]+")


def original_title(original: str, title: str) -> str:
    """A record's ``title_original``: the title in the article's own language an export gives
    beside its ``title`` (MEDLINE ``TT``, PubMed XML ``VernacularTitle``...), each already
    cleaned; '' when it says the same words as the title (an English article's repeated title
    is not a second one to show, search or export). One rule for every reader."""
    if not original:
        return ""
    same = _NON_WORD.sub(" ", original).strip().casefold() == _NON_WORD.sub(" ", title).strip().casefold()
    return "" if same else original


@dataclass
class ParseResult:
    records: list[ParsedRecord]
    expected_count: int | None      # from the file's own record markers; None if it has none
    format: str                     # reader name, e.g. 'ris'
    dialect: str = ""               # e.g. 'ovid', 'cochrane', 'scopus' where detectable
    warnings: list[str] = field(default_factory=list)


@dataclass
class ColumnResult:
    """A parse result held column-wise: ``columns[name][i]`` is field ``name`` of record ``i``,
    with ``lines[i]`` and ``source_dbs[i]``. What ingest assembles the records table from;
    streaming RIS produces it directly, other readers' :class:`ParseResult` is converted."""

    columns: dict[str, list[Any]]
    lines: list[int]
    source_dbs: list[str]
    expected_count: int | None
    format: str = "ris"
    dialect: str = ""
    warnings: list[str] = field(default_factory=list)
    # abstracts already without publishers' rights lines (streamed RIS strips them in the
    # parse workers, in parallel, instead of in ingest's serial assembly)
    abstracts_clean: bool = False

    def __len__(self) -> int:
        return len(self.lines)

    @classmethod
    def empty(cls, names: Sequence[str], dialect: str = "") -> "ColumnResult":
        """No RIS records yet, with columns ``names`` (to :meth:`extend` part by part: the
        chunks of a streamed RIS file are its only use)."""
        return cls(columns={name: [] for name in names}, lines=[], source_dbs=[], expected_count=0,
                   format="ris", dialect=dialect)

    def extend(self, part: "ColumnResult") -> None:
        """Append the records of ``part`` (the next part of the same file: same columns)."""
        for name, values in part.columns.items():
            self.columns[name] += values
        self.lines += part.lines
        self.source_dbs += part.source_dbs
        self.warnings += part.warnings
        self.expected_count = (self.expected_count or 0) + (part.expected_count or 0)

    @classmethod
    def from_records(cls, result: ParseResult) -> "ColumnResult":
        records = result.records
        names = dict.fromkeys(k for rec in records for k in rec.fields)
        return cls(columns={name: [rec.fields.get(name) for rec in records] for name in names},
                   lines=[rec.line for rec in records], source_dbs=[rec.source_db for rec in records],
                   expected_count=result.expected_count, format=result.format, dialect=result.dialect,
                   warnings=result.warnings)


SniffFn = Callable[[str], float]
ParseFn = Callable[[str, str], ParseResult]   # (text, file name for messages) -> result


@dataclass(frozen=True)
class Reader:
    name: str
    description: str
    extensions: tuple[str, ...]
    sniff: SniffFn
    parse: ParseFn
    # optional: the same records straight into columns (what ingest builds), for readers whose
    # files are big enough that a dict per record and a transpose cost (RIS)
    parse_columns: Callable[[str, str], "ColumnResult"] | None = None


READERS: dict[str, Reader] = {}


def register_reader(reader: Reader) -> Reader:
    if reader.name in READERS:
        raise ValueError(f"reader {reader.name!r} registered twice")
    READERS[reader.name] = reader
    return reader


def detect_format(text: str, filename: str, *, min_score: float = 0.5) -> Reader:
    """Pick the reader by content; the file suffix only breaks ties.

    Raises :class:`InputError` naming the file when nothing fits.
    """
    import screening.io  # noqa: F401  (registers every reader)

    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    head = text[:20000]
    scored = []
    for reader in READERS.values():
        try:
            score = float(reader.sniff(head))
        except Exception:  # a sniffer must never take ingest down
            score = 0.0
        if suffix and suffix in reader.extensions:
            score += 0.05
        scored.append((score, reader.name))
    scored.sort(reverse=True)
    if not scored or scored[0][0] < min_score:
        known = ", ".join(sorted(READERS))
        raise InputError(
            "unknown format: the content matches no supported export format", path=filename, line=1,
            hint=f"supported: {known}; pass --format NAME if you know it",
        )
    return READERS[scored[0][1]]


def get_reader(name: str) -> Reader:
    import screening.io  # noqa: F401

    try:
        return READERS[name]
    except KeyError:
        raise InputError(f"unknown format {name!r}", hint=f"choose one of: {', '.join(sorted(READERS))}") from None
