"""The canonical records table: its declared schema, validation, and lossless CSV/Parquet I/O.

One row per exported record, for the life of the review. ``record_id`` is assigned once at
ingest; stages only *add* columns (``duplicate_of``, ``rule_decision``, ``score``...) and never
drop a row. Missing text is ``""`` (never NaN), list columns hold Python lists of ``str``.

CSV form: list items are joined with ``"; "`` (items never contain ``;``: :func:`make_table`
replaces it), so CSV and Parquet both round-trip exactly.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping

import numpy as np
import pandas as pd

from screening.atomic_files import atomic_write_bytes
from screening.csv_formulas import escape_formula, unescape_formula
from screening.errors import InputError, SchemaError

Kind = Literal["str", "int", "float", "list"]
LIST_SEP = "; "


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    doc: str
    stage: str = "ingest"  # which stage adds it; ingest columns always exist


COLUMNS: tuple[Column, ...] = (
    # identity and provenance: travel with every row from ingest on
    Column("record_id", "str", "stable id, assigned once at ingest (or kept from the input's ID column)"),
    Column("source_file", "str", "file name the record was read from"),
    Column("source_format", "str", "reader that parsed it (ris, medline, pubmed_xml, wos, bibtex, ...)"),
    Column("source_db", "str", "database/register the record came from (export's own DB field, else config)"),
    Column("source_line", "int", "1-based line in source_file where the record starts"),
    Column("source_record_id", "str", "the database's own accession (WoS UT, Scopus EID, Embase L-number, CN-...)"),
    Column("other_method", "str", "the other method that identified the record (citation searching, a website...: "
           "a [[sources]] entry's `method`); empty for database and register searches. Such records skip "
           "title/abstract screening and enter at full text, in PRISMA's 'other methods' column"),
    # bibliographic fields
    Column("title", "str", "title"),
    Column("title_original", "str", "the title in the article's own language when `title` is a translation "
           "(MEDLINE TT, PubMed XML VernacularTitle, Ovid MEDLINE RIS T2, biblatex origtitle); empty otherwise"),
    Column("abstract", "str", "abstract, HTML stripped"),
    Column("authors", "list", "authors, each 'Family, Given'"),
    Column("year", "int", "publication year"),
    Column("journal", "str", "journal or source title (full form where the export gives it)"),
    Column("journal_abbrev", "str", "abbreviated journal title"),
    Column("volume", "str", "volume"),
    Column("issue", "str", "issue / number"),
    Column("pages", "str", "pages as given, e.g. '288-297'"),
    Column("doi", "str", "DOI, lower case, no https://doi.org/ prefix"),
    Column("pmid", "str", "PubMed id"),
    Column("pmcid", "str", "PubMed Central id"),
    Column("issn", "str", "ISSN(s), '; '-joined string"),
    Column("isbn", "str", "ISBN"),
    Column("keywords", "list", "author keywords and index terms"),
    Column("language", "str", "language as given"),
    Column("publication_type", "list", "publication/document types as given (RIS TY then M3, MEDLINE PT, WoS DT, ...)"),
    Column("url", "str", "first URL"),
    Column("booktitle", "str", "proceedings/book title"),
    Column("publisher", "str", "publisher"),
    Column("notes", "str", "notes the export carries with the record (RIS N1, a CSV's notes column), "
           "one per line"),
    # added by dedup
    Column("duplicate_of", "str", "empty for the kept record, else the record_id it duplicates", "dedup"),
    Column("dup_group", "str", "id of the duplicate group (the kept record's id)", "dedup"),
    Column("dup_score", "float", "match score that linked the record", "dedup"),
    Column("dup_rule", "str", "rule that linked the record (doi, pmid, fuzzy, manual...)", "dedup"),
    Column("found_in", "list", "databases that returned this study (on the kept record)", "dedup"),
    Column("merged_from", "list", "fields the kept record took from its duplicates, as 'field: record_id'",
           "dedup"),
    # added by rules
    Column("rule_decision", "str", "include / exclude / flag", "rules"),
    Column("rule_ids", "list", "ids of the rules that fired", "rules"),
    Column("rule_reasons", "list", "reasons of the rules that fired", "rules"),
    Column("rule_reason", "str", "the reason an excluded record is counted under (its first exclude "
           "rule's, as PRISMA counts it); empty if not excluded", "rules"),
    Column("rule_terms", "list", "terms matched by flag rules, for highlighting", "rules"),
    # added by rank
    Column("score", "float", "relevance score from the ranker", "rank"),
    Column("rank", "int", "1 = screen first", "rank"),
    Column("model_id", "str", "id of the model that produced the score", "rank"),
)

SCHEMA: dict[str, Column] = {c.name: c for c in COLUMNS}
INGEST_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.stage == "ingest")
LIST_COLUMNS: frozenset[str] = frozenset(c.name for c in COLUMNS if c.kind == "list")


def as_list(value: Any) -> list[str]:
    """A list column's value as ``list[str]`` whatever it arrived as (list, array, '; '-joined
    string, None/NaN -> [])."""
    if value is None:
        return []
    if isinstance(value, float) and np.isnan(value):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        out = []
        for item in value:
            if item is None:
                continue
            s = " ".join(str(item).replace(";", ",").split())
            if s:
                out.append(s)
        return out
    return [str(value)]


def as_text(value: Any) -> str:
    """A text column's value as ``str`` (None/NaN/NA -> '', 2021.0 -> '2021')."""
    if value is None:
        return ""
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    if value is pd.NA or value is pd.NaT:
        return ""
    return value if isinstance(value, str) else str(value)


def _as_int(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, str) and not value.strip()):
        return pd.NA
    try:
        f = float(value)
    except (TypeError, ValueError):
        return pd.NA
    if np.isnan(f):
        return pd.NA
    return int(f)


def _clean_list(value: Any) -> bool:
    """True when ``value`` is already a list of trimmed, non-empty, ';'-free strings."""
    if type(value) is not list:
        return False
    for item in value:
        if type(item) is not str or not item or ";" in item or item[0] == " " or item[-1] == " ":
            return False
    return True


def _conform_values(values: list[Any], kind: Kind) -> pd.Series:
    """Coerce one column's values. Fast paths skip values that are already in canonical form:
    readers produce those, and ingest of 100k records must not pay per-cell conversions."""
    if kind == "list":
        return pd.Series([v if _clean_list(v) else as_list(v) for v in values], dtype=object)
    if kind == "str":
        if set(map(type, values)) <= {str}:  # one C-level pass: already all text
            return pd.Series(values, dtype=object)
        return pd.Series([v if type(v) is str else as_text(v) for v in values], dtype=object)
    if kind == "int":
        return pd.Series(pd.array([v if type(v) is int else _as_int(v) for v in values], dtype="Int64"))
    series = pd.Series(values, dtype=object)
    return pd.to_numeric(series.replace("", np.nan), errors="coerce").astype("float64")


def _column_values(series: pd.Series) -> list[Any]:
    # .tolist() is far cheaper than iterating an Arrow-backed column element by element.
    return series.tolist()


def _build(columns: Mapping[str, list[Any]], n: int, *, add_missing: bool = True) -> pd.DataFrame:
    out: dict[str, pd.Series] = {}
    for col in COLUMNS:
        if col.name in columns:
            out[col.name] = _conform_values(columns[col.name], col.kind)
        elif add_missing and col.stage == "ingest":
            empty: list[Any] = [[] for _ in range(n)] if col.kind == "list" else [None] * n
            out[col.name] = _conform_values(empty, col.kind)
    for name, values in columns.items():
        if name not in SCHEMA:
            out[name] = _conform_values(values, "str")
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def conform(df: pd.DataFrame, *, add_missing: bool = True) -> pd.DataFrame:
    """Coerce a table to the schema's types; add missing ingest columns as empty.

    Declared columns come first in schema order; undeclared columns (e.g. a dataset's
    ``label_included``) are kept after them as text.
    """
    return _build({name: _column_values(df[name]) for name in df.columns}, len(df), add_missing=add_missing)


def make_table(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build a canonical table from dicts keyed by column name (one pass per column)."""
    rows = list(rows)
    names: dict[str, None] = {}
    shapes: set[tuple[str, ...]] = set()
    for row in rows:
        shape = tuple(row)
        if shape not in shapes:  # rows from one reader share their keys: look at each shape once
            shapes.add(shape)
            names.update(dict.fromkeys(shape))
    return table_from_columns({name: [row.get(name) for row in rows] for name in names}, len(rows))


def table_from_columns(columns: Mapping[str, list[Any]], n: int) -> pd.DataFrame:
    """:func:`make_table` for data already held column-wise: ``columns[name]`` lists the ``n``
    rows' values of column ``name`` (``None`` for missing). Streaming ingest builds its table
    this way, without a dict per record (which cost ~100 MB on a 100k-record file)."""
    for name, values in columns.items():
        if len(values) != n:
            raise ValueError(f"column {name!r} has {len(values)} values for {n} rows")
    return _build(columns, n)


def validate(df: pd.DataFrame, *, where: str | None = None) -> None:
    """Raise :class:`SchemaError` unless ``df`` follows the schema (cheap checks, every load/save)."""
    missing = [c for c in INGEST_COLUMNS if c not in df.columns]
    if missing:
        raise SchemaError(
            f"records table lacks columns {missing}", path=where,
            hint="tables must come from `screening ingest` or follow the documented schema",
        )
    ids = df["record_id"]
    empty = ids.eq("") | ids.isna()
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise SchemaError(f"record_id is empty on row {row + 2}", path=where,
                          hint="every record needs an id; re-run ingest")
    dup = ids.duplicated()
    if dup.any():
        first = ids[dup].iloc[0]
        raise SchemaError(f"record_id {first!r} occurs more than once", path=where,
                          hint="record ids must be unique; rename or drop the repeated ID values")
    for name in LIST_COLUMNS & set(df.columns):
        bad = [i for i, v in enumerate(df[name].to_numpy()) if not isinstance(v, list)]
        if bad:
            raise SchemaError(f"column {name!r} must hold lists (row {bad[0] + 2})", path=where)


def with_list_cells(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every list column holding lists: cells read by ``pd.read_parquet`` (numpy
    arrays), '; '-joined text or NaN from a library caller become lists, so code reading cells
    as lists does not see those authors, keywords and types as absent. Returns ``df`` itself
    when nothing needs converting (the usual case: stage tables are canonical)."""
    out = df
    for name in sorted(LIST_COLUMNS & set(df.columns)):
        values = df[name].tolist()
        if all(type(v) is list for v in values):
            continue
        if out is df:
            out = df.copy()
        out[name] = _conform_values(values, "list").set_axis(df.index)
    return out


# ---------------------------------------------------------------------------------------------
# Lossless I/O. Writes are atomic: a temp file in the same folder, then os.replace.


def to_csv_bytes(df: pd.DataFrame, *, escape_formulas: bool = False) -> bytes:
    """``df`` as CSV (list cells joined). ``escape_formulas``: text cells a spreadsheet would run
    as a formula get a leading ``'`` (:mod:`screening.csv_formulas`), for a file people open;
    left off where the bytes are only hashed."""
    flat = df.copy()
    for name in flat.columns:
        if name in LIST_COLUMNS:
            flat[name] = [LIST_SEP.join(v) for v in flat[name]]
        if escape_formulas and (name in LIST_COLUMNS or flat[name].dtype == object):
            flat[name] = [escape_formula(v) if isinstance(v, str) else v for v in flat[name]]
    if escape_formulas:     # a column an input CSV brought along may be named '=HYPERLINK(...)'
        flat.columns = [escape_formula(str(c)) for c in flat.columns]
    buf = io.StringIO()
    flat.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


TABLE_SUFFIXES = (".csv", ".parquet")


def check_table_path(path: str | Path) -> Path:
    """``path`` if a records table can be written there (by suffix), else an error: '-o x.xlsx'
    used to get CSV text under an Excel name that Excel then refuses."""
    path = Path(path)
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise InputError(f"cannot write a records table as {path.suffix or 'a file without suffix'}",
                         path=path, hint="name the output .csv (opens in Excel) or .parquet")
    return path


def schema_order(names: Iterable[str]) -> list[str]:
    """``names`` as :func:`conform` orders them: declared columns in schema order, then the rest
    as they come."""
    names = list(names)
    present = set(names)
    return [c.name for c in COLUMNS if c.name in present] + [n for n in names if n not in SCHEMA]


def write_table(df: pd.DataFrame, path: str | Path) -> str:
    """Validate, then write ``.csv`` or ``.parquet`` atomically (by suffix), columns in schema
    order: a stage's table read back from disk (:func:`conform`) is in that order, one just made
    is not, and a rank.csv's columns moved with whichever command had run the stages before.
    Returns the SHA-256 of the file's bytes (a stage report vouches for its table with it)."""
    path = check_table_path(path)
    validate(df, where=str(path))
    order = schema_order(df.columns)
    if order != list(df.columns):        # a copy only when the columns are out of order
        df = df[order]
    if path.suffix.lower() == ".parquet":
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        data = buf.getvalue()
    else:
        # a stage's CSV is for people, opened in spreadsheets: a title or a reason from a
        # database or a colleague that starts with '=' must not run there (read_table strips it)
        data = to_csv_bytes(df, escape_formulas=True)
    atomic_write_bytes(path, data)
    return hashlib.sha256(data).hexdigest()



def read_table(path: str | Path) -> pd.DataFrame:
    """Read a canonical table written by :func:`write_table` (CSV or Parquet) and validate it."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path, hint="check the path")
    if path.suffix.lower() == ".parquet":
        try:
            df = pd.read_parquet(path)
        except (PermissionError, MemoryError, ImportError):
            raise
        except Exception as err:      # pyarrow's ArrowInvalid / OSError: a damaged or cut file
            said = (str(err).splitlines() or [type(err).__name__])[0][:200]
            raise InputError(f"cannot read this table: {said}", path=path,
                             hint="the file is damaged or was cut short; a stage table is rebuilt by "
                                  "`screening run REVIEW --force` (the decision log is a separate file)") from None
        for name in LIST_COLUMNS & set(df.columns):
            df[name] = [list(v) if v is not None else [] for v in df[name]]
    else:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        df.columns = [unescape_formula(str(c)) for c in df.columns]
        for name in df.columns:      # the quote write_table put before formula-like text
            df[name] = [unescape_formula(v) for v in df[name]]
    df = conform(df)
    validate(df, where=str(path))
    return df


def table_hash(df: pd.DataFrame) -> str:
    """Content hash of a table (order-sensitive), for stage reports and no-op re-runs."""
    return hashlib.sha256(to_csv_bytes(df)).hexdigest()
