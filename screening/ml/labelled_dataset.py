"""A labelled dataset for ``screening simulate``: a CSV/TSV of records with each one's answer.

Why apart from the replay (:mod:`screening.ml.simulate`): datasets come from other tools
(ASReview, SYNERGY, Cohen's collections, a spreadsheet), each with its own column names, label
values and encoding. Reading one is forgiving where the layout is unambiguous, and otherwise
refuses, naming the line or the columns: a simulation needs every record's answer.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from screening.errors import InputError


# label columns other tools write (ASReview's own 'included', SYNERGY/ASReview-datasets'
# 'label_included', older exports' 'final_included'), in order of preference
LABEL_COLUMNS = ("label_included", "included", "final_included", "label")
_KNOWN = frozenset({"record_id", "id", "title", "abstract", "keywords", *LABEL_COLUMNS})
_LABEL_VALUES = {"1": 1, "0": 0, "1.0": 1, "0.0": 0, "true": 1, "false": 0, "yes": 1, "no": 0,
                 "y": 1, "n": 0, "include": 1, "exclude": 0, "included": 1, "excluded": 0}


# the text the ranker reads, under the names other tools give it ('Title', 'primary_title',
# Zotero's 'Abstract Note', RIS-style 'TI'/'AB'/'KW'...): the alias table CSV ingest uses
TEXT_COLUMNS = ("title", "abstract", "keywords")


def _text_aliases(df: pd.DataFrame, label: str) -> dict[str, list[str]]:
    """canonical text column -> the dataset's columns holding it, preferred first."""
    from screening.io.aliases import canonical_for

    found: dict[str, list[tuple[int, int, str]]] = {}
    for i, col in enumerate(df.columns):
        if col == label:
            continue
        hit = canonical_for(col)
        if hit and hit[0] in TEXT_COLUMNS:
            found.setdefault(hit[0], []).append((hit[1], i, col))
    return {canon: [c for _, _, c in sorted(cols)] for canon, cols in found.items()}


def _use_text_aliases(df: pd.DataFrame, label: str, path: str, warnings: list[str] | None) -> None:
    """Fill title/abstract/keywords from their aliases (a title or abstract: the first non-empty
    cell of the columns, preferred first; keywords: all of them joined); say which columns were
    read, and warn when there is no title or no abstract column: ranking on half the text is
    silently worse (antihistamines with Zotero's 'Abstract Note' unread: WSS@95 -0.06, not 0.24)."""
    from screening.io.aliases import ALIASES, accepted_names

    aliases = _text_aliases(df, label)
    if "title" not in aliases and "abstract" not in aliases:
        raise InputError("no title or abstract column", path=path,
                         hint=f"the ranker reads title and abstract ({accepted_names(('title', 'abstract'))}); "
                              f"the columns are: {', '.join(map(str, df.columns))}")
    for canon, cols in aliases.items():
        if cols == [canon]:
            continue
        cells = df[cols].apply(lambda col: col.fillna("").astype(str).str.strip())
        if canon == "keywords":
            df[canon] = cells.apply(lambda row: "; ".join(v for v in row if v), axis=1)
        else:
            df[canon] = cells.apply(lambda row: next((v for v in row if v), ""), axis=1)
        if warnings is not None and cols[0] != canon:
            warnings.append(f"{canon} read from column{'s' if len(cols) > 1 else ''} "
                            f"{', '.join(repr(c) for c in cols)}")
    if warnings is not None:
        for canon in ("title", "abstract"):
            if canon not in aliases:
                other = "abstracts" if canon == "title" else "titles"
                warnings.append(f"no {canon} column (looked for {', '.join(ALIASES[canon][:6])}...; the columns "
                                f"are: {', '.join(map(str, df.columns))}): the ranker learns from the {other} "
                                f"only, so the order is worse than with both; rename the {canon} column to "
                                f"'{canon}' if the dataset has one")


def _separator(text: str) -> str:
    """',' unless the header line has more tabs (TSV) or semicolons (European Excel CSV)."""
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (",", "\t", ";")}
    return max(counts, key=lambda sep: (counts[sep], sep == ","))


def read_dataset(path: str, label_column: str | None = None, warnings: list[str] | None = None) -> pd.DataFrame:
    """Read a labelled CSV/TSV (record_id,title,abstract,label_included); ids stay strings.

    Forgiving where another tool's layout is unambiguous: the label may be ``included`` /
    ``final_included`` / ``label`` instead of ``label_included`` and read 0/1, 0.0/1.0,
    yes/no, true/false or include/exclude; without a ``record_id`` column records are numbered
    by their row (1 = the first record). A missing or unreadable label is an error naming its
    line: a simulation needs every record's answer. Column names match whatever their case;
    ``label_column`` names the label column (e.g. Cohen's ``label_abstract_included`` for
    title/abstract screening); the column used is kept in ``df.attrs["label_column"]``. UTF-16
    and Windows-1252 files are read as ``ingest`` reads them, each said in ``warnings``.
    """
    try:
        data = Path(path).read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise InputError("file not found", path=path, hint="check the path") from None
    except OSError as err:
        raise InputError(f"cannot read the file ({err.strerror or err})", path=path,
                         hint="check the file's permissions") from None
    from screening.io.text import decode_bytes

    if not data.strip():
        raise InputError("the file is empty", path=path,
                         hint="a simulation dataset needs a header record_id,title,abstract,label_included "
                              "and one row per record")
    decoded = decode_bytes(data, path)       # UTF-16, per-line cp1252: as ingest reads them, said
    text = decoded.text
    if warnings is not None:
        warnings += decoded.warnings
    if not text.strip():
        raise InputError("the file is empty", path=path,
                         hint="a simulation dataset needs a header record_id,title,abstract,label_included "
                              "and one row per record")
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=_separator(text))
    except pd.errors.ParserError as err:
        raise InputError(f"not a readable CSV ({str(err).strip().splitlines()[0]})", path=path,
                         hint="simulate replays a labelled CSV with columns record_id,title,abstract,"
                              "label_included (like ../shared/data/screening/*.csv); search exports go "
                              "through `screening ingest` / `screening run`") from None
    # names match whatever their case ('Record_ID', 'Label_Included'): the canonical ones are lower
    lower = {str(c).strip().lower(): str(c) for c in df.columns}
    df.columns = [str(c).strip().lower() if str(c).strip().lower() in _KNOWN or str(c).strip().lower() ==
                  (label_column or "").strip().lower() else str(c).strip() for c in df.columns]
    if label_column:
        label = label_column.strip().lower()
        if label not in df.columns:
            raise InputError(f"no column {label_column!r}", path=path,
                             hint=f"the columns are: {', '.join(lower.values())}")
    else:
        label = next((c for c in LABEL_COLUMNS if c in df.columns), None)
    if label is None:
        raise InputError("no label column (label_included, included, final_included or label)", path=path,
                         hint="a simulation dataset needs record_id,title,abstract,label_included (0/1); "
                              "name another column with --label-column")
    _use_text_aliases(df, label, path, warnings)
    if "record_id" not in df.columns:
        if "id" in df.columns and warnings is not None:
            warnings.append("the dataset has an 'id' column but no record_id: records are numbered by their row "
                            "(1 = the first), so --prior-included/--prior-excluded name row numbers; rename the "
                            "column to record_id to use its ids")
        df.insert(0, "record_id", [str(i) for i in range(1, len(df) + 1)])
    # ' 36' and '36' are one id (a spreadsheet's padding), and an id cannot be empty
    df["record_id"] = df["record_id"].str.strip()
    empty = (df["record_id"] == "").to_numpy()
    if empty.any():
        raise InputError("record_id is empty", path=path, line=int(np.flatnonzero(empty)[0]) + 2,
                         hint="every record needs its own id (or leave out the record_id column to number rows)")
    values = df[label].str.strip().str.lower().map(_LABEL_VALUES)
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        got = df[label].iloc[row]
        raise InputError(f"{label} must be 0 or 1, got {got!r}" if got.strip() else f"{label} is empty",
                         path=path, line=row + 2, record=df["record_id"].iloc[row],
                         hint="every record needs its label (1 included, 0 excluded) to be replayed")
    dup = df["record_id"].duplicated().to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        rid = df["record_id"].iloc[row]
        first = int(np.flatnonzero((df["record_id"] == rid).to_numpy())[0])
        raise InputError(f"record_id occurs more than once (first on line {first + 2})", path=path, line=row + 2,
                         record=rid, hint="every record needs its own id; rename or remove the repeat")
    if values.nunique() < 2:
        only = "" if not len(values) else "included (1)" if int(values.iloc[0]) else "excluded (0)"
        raise InputError(f"every record is labelled {only}" if only else "the dataset has no records", path=path,
                         hint="a simulation needs at least one included and one excluded record to replay")
    if warnings is not None and not any(df[c].str.strip().any() for c in ("title", "abstract") if c in df):
        warnings.append("every title and abstract is empty: the ranker has nothing to learn from, so the order "
                        "is no better than chance")
    df["label_included"] = values.astype(int).astype(str)
    df["label"] = values.astype(int)
    df.attrs["label_column"] = lower.get(label, label)
    return df
