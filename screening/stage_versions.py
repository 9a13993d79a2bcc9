"""Which version of screening made each stage output, and what is said when it is not this one.

Why apart from the runner: an upgrade (or a colleague's older install) meets outputs another
version made, and the runner, the read-only commands and the PRISMA methods all have to say so
the same way. Every stage report records ``tool_version`` and, since 0.21, ``stage_version``
(older reports: unknown). Acceptance testing (36a) found an upgrade's `run` rebuilding every
stage and saying only "ran", `status`/`prisma` reading 0.14's tables and crediting them to 0.21,
and an older version silently rebuilding a newer one's outputs. So:

- :func:`rebuilt_note`: a stage the run rebuilds over another version's output says whose;
  :func:`decided_changes` adds the records whose duplicate status or rule outcome changed with
  it, first those people have decided on (what moves PRISMA counts in the middle of a review);
- :func:`refuse_newer_outputs`: `run` stops before writing over a newer version's outputs;
- :func:`version_warning`: what `status`, `prisma` and `export` say beside figures another
  version's outputs gave;
- :func:`reread_message`: a re-ingest that renumbers decided ids although the exports are byte
  for byte those of the last ingest -- this version's reader reads them differently.

Versions are compared numerically ("0.21.0" after "0.9.1").
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Iterable, Mapping

import pandas as pd

from screening import __version__
from screening.errors import ConfigError

# the column of a stage's output whose change moves a record in or out of screening
COMPARED = {"dedup": "duplicate_of", "apply_rules": "rule_decision"}
SHOWN = 3           # records named in a note; the count says how many more


def version_key(version: Any) -> tuple[int, ...] | None:
    """'0.21.0' -> (0, 21, 0), '0.21.0.dev1+g12' -> (0, 21, 0); None when it reads as no version."""
    m = re.match(r"\s*v?(\d+(?:\.\d+)*)", str(version or ""))
    if not m:
        return None
    parts = [int(p) for p in m.group(1).split(".")]
    while len(parts) > 1 and parts[-1] == 0:      # 0.21 == 0.21.0
        parts.pop()
    return tuple(parts)


def is_newer(version: Any, than: Any = __version__) -> bool:
    """Whether ``version`` is a later release than ``than`` (False when either is unreadable)."""
    a, b = version_key(version), version_key(than)
    return a is not None and b is not None and a > b


def made_by(stage: str, tool_version: str, stage_version: str = "") -> str:
    """'screening 0.14.0 (dedup stage 10)'; the stage version left out when unknown."""
    return f"screening {tool_version or 'of unknown version'}" + (f" ({stage} stage {stage_version})"
                                                                 if stage_version else "")


def rebuilt_note(stage: str, stored: Mapping[str, Any] | None, stage_version: str) -> str:
    """What a run says of a stage it rebuilds over an output another version made ('' when the
    stored report is this version's, or there is none)."""
    if not stored:
        return ""
    old_tool, old_stage = str(stored.get("tool_version") or ""), str(stored.get("stage_version") or "")
    if old_tool == __version__ and old_stage in ("", stage_version):
        return ""
    now = f"{__version__} ({stage} stage {stage_version})"
    older = " (an older version: the newer one's fixes are undone)" if is_newer(old_tool) else ""
    return f"made by {made_by(stage, old_tool, old_stage)}, rebuilt with {now}{older}"


def ingest_version_of(stored: Mapping[str, Any] | None, raw_hash: str, upto: int) -> str:
    """The ingest stage version a report without ``stage_version`` was made with, found from its
    input hash (``ingest:<stage>:<tool>:<raw files>``), which the same files give again; ''
    when none of 1..``upto`` matches (the files changed too)."""
    if not stored:
        return ""
    if stored.get("stage_version"):
        return str(stored["stage_version"])
    tool, wanted = str(stored.get("tool_version") or ""), stored.get("input_hash")
    for n in range(1, upto + 1):
        if hashlib.sha256(f"ingest:{n}:{tool}:{raw_hash}".encode()).hexdigest() == wanted:
            return str(n)
    return ""


def decided_changes(stage: str, before: pd.DataFrame | None, after: pd.DataFrame, decided: set[str]) -> str:
    """The records whose ``COMPARED[stage]`` column differs between the stored output
    (``before``: record_id and that column) and the new one, those touching a record people
    decided on first: its own, or, for dedup, the record it is or was a duplicate of (a copy
    that comes back to screening beside an included study). '' when none changed."""
    col = COMPARED.get(stage)
    if col is None or before is None or not {"record_id", col} <= set(before.columns) or col not in after.columns:
        return ""
    cols = ["record_id", col] + (["title"] if "title" in after.columns else [])
    old = before[["record_id", col]].astype(str).rename(columns={col: "old"})
    new = after[cols].astype({"record_id": str, col: str}).rename(columns={col: "new"})
    both = old.merge(new, on="record_id")               # ids in both: a new or lost record is ingest's
    both = both[both["old"].replace("nan", "") != both["new"].replace("nan", "")]
    if both.empty:
        return ""
    ids = both["record_id"]
    touch = ids.isin(decided)
    if stage == "dedup":
        touch |= both["old"].isin(decided) | both["new"].isin(decided)
    shown = pd.concat([both[touch], both[~touch]]).head(SHOWN)
    what = "duplicate status" if stage == "dedup" else "rule outcome"
    n, k = len(both), int(touch.sum())
    whose = " (itself, or the record it is or was a duplicate of)" if stage == "dedup" else ""
    on = (f"{k} of them {'involves' if k == 1 else 'involve'} a record people have decided on{whose}" if k
          else "none involves a record people have decided on")
    examples = "; ".join(_change(stage, r) for r in shown.to_dict("records"))
    more = f" and {n - len(shown)} more" if n > len(shown) else ""
    return (f"{n} record{'s' if n != 1 else ''} changed {what} with this version ({on}): {examples}{more}; "
            f"the PRISMA counts change with {'them' if n != 1 else 'it'}")


def _change(stage: str, row: dict[str, Any]) -> str:
    title = str(row.get("title") or "")
    named = f"{row['record_id']}" + (f" “{title[:60]}{'…' if len(title) > 60 else ''}”" if title else "")
    old, new = (str(row[k]) if str(row[k]) != "nan" else "" for k in ("old", "new"))
    if stage == "dedup":
        how = (f"no longer a duplicate of {old}" if not new else f"now a duplicate of {new}" if not old
               else f"now a duplicate of {new}, was of {old}")
    else:
        how = f"{old or 'not checked'} -> {new or 'not checked'}"
    return f"{named} ({how})"


def newer_outputs(reports: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """stage -> the version that made its output, for outputs a newer version than this one made."""
    return {name: str(r.get("tool_version")) for name, r in reports.items() if is_newer(r.get("tool_version"))}


def refuse_newer_outputs(reports: Mapping[str, Mapping[str, Any]], command_ref: str) -> None:
    """`run` refuses, before writing anything, to rebuild outputs a newer version made: it would
    silently undo that version's fixes (and the counts that depend on them). ``run --force``
    does it all the same, as chosen."""
    newer = newer_outputs(reports)
    if not newer:
        return
    versions = ", ".join(sorted(set(newer.values()), key=lambda v: version_key(v) or ()))
    raise ConfigError(
        f"the review's stage outputs ({', '.join(newer)}) were made by screening {versions}, newer than this "
        f"version ({__version__}); nothing was run or written",
        hint=f"upgrade screening to {versions} or later; or `screening run {command_ref} --force` rebuilds every "
             f"stage with {__version__}, undoing the newer version's fixes (and the counts that depend on them)")


def version_warning(reports: Mapping[str, Mapping[str, Any]], command_ref: str) -> str:
    """One warning for read-only commands when stage outputs were made by another version than
    this one ('' when all are this version's, or do not say)."""
    other: dict[str, list[str]] = {}
    for name, r in reports.items():
        v = str(r.get("tool_version") or "")
        if v and v != __version__:
            label = name + (f" stage {r['stage_version']}" if r.get("stage_version") else "")
            other.setdefault(v, []).append(label)
    if not other:
        return ""
    said = "; ".join(f"made by screening {v} ({', '.join(stages)})"
                     for v, stages in sorted(other.items(), key=lambda kv: version_key(kv[0]) or ()))
    newer = sorted((v for v in other if is_newer(v)), key=lambda v: version_key(v) or ())
    if newer:
        return (f"the stage outputs were {said}, not by this version ({__version__}): these figures are read "
                f"from a newer version's outputs; use screening {newer[-1]} or later (`screening run` with this "
                f"version refuses; `screening run {command_ref} --force` would rebuild them with {__version__}, "
                "undoing the newer version's fixes)")
    return (f"the stage outputs were {said}, not by this version: these figures are that version's; "
            f"`screening run {command_ref}` rebuilds them with {__version__} (it says what changes)")


def reread_message(changed: Any, before: tuple[str, str], now: tuple[str, str],
                   warnings: Iterable[str], command_ref: str) -> tuple[str, str]:
    """(message, hint) for decided ids a re-ingest renumbered or lost although every export is
    byte for byte what the last ingest read: not the export's change, this version's reader's.
    ``before``/``now``: (tool version, ingest stage version; '' unknown); ``warnings``: the new
    read's (they often name the record read differently)."""
    (old_tool, old_stage), (new_tool, new_stage) = before, now
    parts = []
    if changed.moved:
        parts.append(f"{len(changed.moved)} decided record id(s) now name another record (e.g. {changed.moved[0]})")
    if changed.lost:
        parts.append(f"{len(changed.lost)} decided record id(s) are no longer read (e.g. {changed.lost[0]})")
    said = list(warnings)
    read = (f"; this version's reader says: {'; '.join(said[:3])}{' ...' if len(said) > 3 else ''}" if said else "")
    message = (f"{' and '.join(parts)}: the exports are unchanged since the last ingest (byte for byte), but this "
               f"version reads them differently (ingest stage {old_stage or 'unknown'} -> {new_stage}, screening "
               f"{old_tool or 'unknown'} -> {new_tool}): e.g. a record the old reader merged into its neighbour "
               f"or skipped is now read on its own, and the ids after it move"
               f" ({', '.join(changed.files[:3])}{' ...' if len(changed.files) > 3 else ''}){read}")
    hint = (f"either keep using screening {old_tool or 'the earlier version'} for this review until the decisions "
            f"on those ids are made again, or run `screening run {command_ref} --allow-changed-sources`: each "
            "decision on a renumbered id then counts for the record that has the id now (not the one decided "
            "on), and decisions on lost ids stop counting; then undo and re-make those decisions (`screening prisma` "
            "names each decision that names another record than the one decided on)")
    return message, hint
