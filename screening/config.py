"""Review configuration: one TOML per review under ``pipelines/``, loaded into frozen dataclasses.

Strict by design: an unknown key anywhere is an error that names the key and the section, so a
typo never silently turns a setting off. Relative paths resolve against the *project root*:
the folder above ``pipelines/`` when the TOML lives there, else the TOML's own folder.

```toml
[review]
name = "demo"                      # folder name under data/screened/
title = "..."
output_dir = "data/screened/demo"  # optional

[[sources]]
file = "data/raw/demo/wos_278.ris"
database = "Web of Science Core Collection"   # PRISMA 'records identified from' label
interface = "Clarivate"                       # optional (PRISMA-S)
date_searched = "2022-06-01"                  # optional
notes = "update search"                       # optional; shown with the search in the PRISMA report
format = "ris"                                # optional; detected from content otherwise

[[sources]]                                   # records found another way than a database search:
file = "data/raw/demo/citation_search.ris"    # they skip title/abstract screening and enter at
method = "Citation searching"                 # full text (PRISMA's 'other methods' column)

[dedup]      # stage settings; present section = stage enabled
[rules]
[rank]
[screening]  # reasons for exclusion, reviewers, dual-screening plan
[prisma]     # other-methods counts, report text
```
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
import shlex
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from screening.errors import ConfigError
from screening.output_owner import check_owner
from screening.toml_file import key_line, read_toml_text, toml_syntax_error


@dataclass(frozen=True)
class SourceSpec:
    file: str
    database: str = ""
    interface: str = ""
    date_searched: str = ""
    format: str = ""
    query: str = ""
    notes: str = ""
    # another method than a database search ("Citation searching", "Websites", "Organisations"):
    # its records enter at full text, in PRISMA's other-methods column (not with `database`)
    method: str = ""


@dataclass(frozen=True)
class ScreeningConfig:
    """Human screening settings (read by the decision log commands, not a pipeline stage)."""

    reasons: tuple[str, ...] = (
        "wrong population",
        "wrong intervention",
        "wrong comparator",
        "wrong outcome",
        "wrong study design",
        "wrong publication type",
        "not in English",
        "duplicate",
    )
    title_abstract_reasons: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    adjudicators: tuple[str, ...] = ()   # senior reviewers: never blinded, may adjudicate
    dual_fraction: float = 1.0
    seed: int = 1


DEFAULT_MAX_RECORDS = 10_000      # `screening search` asks before fetching more than this


@dataclass(frozen=True)
class SearchConfig:
    """The review's defaults for ``screening search``; a command-line flag or environment
    variable overrides each. API keys are deliberately not settable here: a review TOML is
    shared and committed, so keys come from the environment (NCBI_API_KEY, OPENALEX_API_KEY)."""

    email: str = ""                      # NCBI 'email', OpenAlex 'mailto', Europe PMC 'email'
    max_records: int = DEFAULT_MAX_RECORDS
    batch_size: int = 0                  # 0 = each database's default

    @classmethod
    def from_toml(cls, data: Mapping[str, Any], path: Path | None = None) -> "SearchConfig":
        if isinstance(data, Mapping) and any(k.lower().replace("-", "_") in ("api_key", "apikey", "key")
                                             for k in data):
            raise ConfigError("an API key does not belong in the review TOML, which is shared", path=path,
                              hint="set NCBI_API_KEY or OPENALEX_API_KEY in the environment, or pass --api-key")
        cfg = from_mapping(cls, data, "search", path)
        if cfg.max_records < 1 or cfg.batch_size < 0:
            raise ConfigError("[search] max_records must be at least 1 and batch_size at least 0", path=path)
        return cfg


@dataclass(frozen=True)
class PrismaConfig:
    """Counts PRISMA asks for that no file of ours records (e.g. other methods)."""

    other_methods: Mapping[str, int] = field(default_factory=dict)   # e.g. {"Citation searching": 3}
    registers: tuple[str, ...] = ()      # source databases that are registers (ClinicalTrials.gov...)
    review_title: str = ""
    # "new": one flow over every record (PRISMA 2020's template for new reviews); "update": the
    # template for updated reviews, its flow over the latest search round's records and the
    # studies the earlier rounds found as the previous version
    flow: str = "new"


FLOWS = ("new", "update")


@dataclass(frozen=True)
class ReviewConfig:
    name: str
    title: str
    path: Path                    # the TOML file
    root: Path                    # project root for relative paths
    output_dir: Path
    sources: tuple[SourceSpec, ...]
    stages: Mapping[str, Any]     # stage name -> its frozen config (only enabled stages)
    screening: ScreeningConfig
    prisma: PrismaConfig
    raw: Mapping[str, Any]        # the parsed TOML, for hashing and reports
    search: SearchConfig = SearchConfig()

    def resolve(self, path: str | Path) -> Path:
        p = Path(path)
        return p if p.is_absolute() else (self.root / p)

    def command_ref(self) -> str:
        """How a command typed where the user is names this review: the TOML's path relative to
        the working directory (absolute outside it), or the review's name when it has no file.
        A hint that printed the bare file name ('screening run demo.toml') failed as printed;
        quoted for the shell (a folder with a space)."""
        if self.path is None:
            return shlex.quote(self.name)
        path = Path(self.path).resolve()
        try:
            return shlex.quote(str(path.relative_to(Path.cwd().resolve())))
        except ValueError:
            return shlex.quote(str(path))

    def source_name(self, path: str | Path) -> str:
        """An export's name as its records' ``source_file`` says it: relative to the project
        (the path as given when it lies outside)."""
        resolved = self.resolve(path)
        try:
            return str(resolved.resolve().relative_to(self.root))
        except ValueError:
            return str(resolved)

    @property
    def decisions_path(self) -> Path:
        return self.output_dir / "decisions.sqlite"


_TOP_KEYS = {"review", "sources", "screening", "prisma", "search"}


def from_mapping(cls: type, data: Mapping[str, Any], where: str, path: Path | None = None) -> Any:
    """Build a frozen dataclass from a TOML table, rejecting unknown keys and wrong types."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{_table(where)} must be a table", path=path)
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r} in {_table(where)}", path=path, line=key_line(path, unknown[0], where),
            hint=f"allowed keys: {', '.join(sorted(names))}",
        )
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in data.items():
        kwargs[key] = _coerce(value, hints.get(key, Any), f"{where}.{key}", path)
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise ConfigError(f"{_table(where)}: {err}", path=path) from None


def _table(where: str) -> str:
    """How a message names the TOML table: ``[dedup]``; ``[[sources]] #2`` as given."""
    return where if where.startswith("[") else f"[{where}]"


def _coerce(value: Any, hint: Any, where: str, path: Path | None) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint in (Any, typing.Any) or hint is None:
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list", path=path)
        inner = args[0] if args else Any
        return tuple(_coerce(v, inner, where, path) for v in value)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        for arg in args:
            if arg is type(None) and value is None:
                return None
        for arg in args:
            try:
                return _coerce(value, arg, where, path)
            except ConfigError:
                continue
        raise ConfigError(f"{where} has the wrong type ({type(value).__name__})", path=path)
    if origin is not None and issubclass(origin, Mapping):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where} must be a table", path=path)
        return dict(value)
    if dataclasses.is_dataclass(hint):
        return from_mapping(hint, value, where, path)
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is str and isinstance(value, (_dt.date, _dt.time)):
        # an unquoted TOML date (date_searched = 2024-05-01) means the same as the quoted one
        return value.isoformat()
    if isinstance(hint, type) and not isinstance(value, hint):
        raise ConfigError(f"{where} must be {hint.__name__}, not {type(value).__name__}", path=path)
    return value


def project_root_for(toml_path: Path) -> Path:
    toml_path = toml_path.resolve()
    return toml_path.parent.parent if toml_path.parent.name == "pipelines" else toml_path.parent


def resolve_review_path(review: str | Path, cwd: Path | None = None) -> Path:
    """Accept ``pipelines/demo.toml``, ``demo.toml`` or just ``demo``."""
    cwd = cwd or Path.cwd()
    candidates = [Path(review)]
    if not str(review).endswith(".toml"):
        candidates += [cwd / "pipelines" / f"{review}.toml", Path(f"{review}.toml")]
    for cand in candidates:
        if cand.is_file():
            return cand
    import difflib

    folder = cwd / "pipelines"
    names = sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []
    close = difflib.get_close_matches(Path(str(review)).stem, names, n=1)
    hint = (f"did you mean {close[0]!r} (pipelines/{close[0]}.toml)?" if close else
            f"reviews here: {', '.join(names)}" if names else "give the review TOML path, e.g. pipelines/demo.toml")
    raise ConfigError(f"no review named {str(review)!r}", path=str(review), hint=hint)


def load_review(review: str | Path) -> ReviewConfig:
    """Load and validate a review TOML, including every enabled stage's settings."""
    from screening.stage import registered_stages

    path = resolve_review_path(review)
    text = read_toml_text(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise toml_syntax_error(err, text, path) from None
    stages = {s.toml_key: s for s in registered_stages()}
    unknown = sorted(set(raw) - _TOP_KEYS - set(stages))
    if unknown:
        raise ConfigError(f"unknown section [{unknown[0]}]", path=path,
                          hint=f"allowed: {', '.join(sorted(_TOP_KEYS | set(stages)))}")
    review = raw.get("review")
    if not isinstance(review, Mapping) or not review.get("name"):
        raise ConfigError("missing [review] name", path=path, hint='add [review] with name = "..."')
    allowed_review = {"name", "title", "output_dir"}
    bad = sorted(set(review) - allowed_review)
    if bad:
        raise ConfigError(f"unknown key {bad[0]!r} in [review]", path=path, line=key_line(path, bad[0], "review"),
                          hint=f"allowed keys: {', '.join(sorted(allowed_review))}")
    name = str(review["name"])
    check_review_name(name, path)
    root = project_root_for(path)
    output_dir = Path(review.get("output_dir") or f"data/screened/{name}")
    output_dir = output_dir if output_dir.is_absolute() else root / output_dir

    sources_raw = raw.get("sources", [])
    if not isinstance(sources_raw, list):
        raise ConfigError("[[sources]] must be an array of tables", path=path)
    sources = tuple(from_mapping(SourceSpec, s, f"[[sources]] #{i}", path)
                    for i, s in enumerate(sources_raw, start=1))
    for i, spec in enumerate(sources, start=1):
        _check_date(spec.date_searched, f"[[sources]] #{i}", path)
        if spec.method.strip() and spec.database.strip():
            raise ConfigError(f"[[sources]] #{i} gives both database and method", path=path,
                              line=key_line(path, "method", f"[[sources]] #{i}"),
                              hint='a database search gives database = "...", a citation search or website gives '
                                   'method = "Citation searching" (its records enter at full text), not both')

    stage_cfgs: dict[str, Any] = {}
    for key, stage in stages.items():
        if key in raw:
            build = getattr(stage.config_type, "from_toml", None)
            if build is not None:
                stage_cfgs[stage.name] = build(raw[key], path)
            else:
                stage_cfgs[stage.name] = from_mapping(stage.config_type, raw[key], key, path)

    screening = from_mapping(ScreeningConfig, raw.get("screening", {}), "screening", path)
    prisma = from_mapping(PrismaConfig, raw.get("prisma", {}), "prisma", path)
    if prisma.flow not in FLOWS:
        raise ConfigError(f"unknown [prisma] flow {prisma.flow!r}", path=path, line=key_line(path, "flow", "prisma"),
                          hint='flow = "new" (one flow over all records) or "update" (the latest search round, '
                               'with the earlier rounds\' studies as the previous version)')
    bad = [(k, v) for k, v in prisma.other_methods.items() if isinstance(v, bool) or not isinstance(v, int) or v < 0]
    if bad:
        raise ConfigError(f"[prisma] other_methods: {bad[0][0]!r} = {bad[0][1]!r} is not a number of records",
                          path=path, line=key_line(path, "other_methods", "prisma"),
                          hint='give each other method the records it identified, a whole number from 0: '
                               'other_methods = { "Citation searching" = 3 }')
    # compared as people read them: 'Websites' and 'websites' would count the same records twice
    typed = {" ".join(k.split()).casefold(): k for k in prisma.other_methods}
    both = sorted(typed[m] for m in {" ".join(s.method.split()).casefold() for s in sources if s.method.strip()}
                  if m in typed)
    if both:
        raise ConfigError(f"{both[0]!r} is both a [[sources]] method and a typed [prisma] other_methods count",
                          path=path, line=key_line(path, "other_methods", "prisma"),
                          hint="its records are counted from the source file: remove the typed count")
    search = SearchConfig.from_toml(raw.get("search", {}), path)
    check_owner(path, output_dir)
    return ReviewConfig(
        name=name, title=str(review.get("title", name)), path=path.resolve(), root=root,
        output_dir=output_dir, sources=sources, stages=stage_cfgs, screening=screening,
        prisma=prisma, raw=raw, search=search,
    )


# What a review name may not hold: it is a folder name (data/screened/<name>), and the folder must
# be that one, on every system the project is shared to. "x/../other" put a review's outputs in
# another review's folder past the owner check, "../escape" outside data/screened (acceptance
# testing); Windows refuses < > : " | ? * in names, and a newline made a folder nobody could type.
_NAME_FORBIDDEN = re.compile(r'[/\\<>:"|?*\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]')


def check_review_name(name: str, path: Path) -> None:
    """Refuse a [review] name that is not one plain folder name (see ``_NAME_FORBIDDEN``)."""
    bad = _NAME_FORBIDDEN.search(name)
    why = (f"holds {bad.group(0)!r}" if bad else
           "is '.' or '..'" if name.strip() in (".", "..") else
           "starts or ends with a space" if name != name.strip() else
           "ends with '.'" if name.endswith(".") else "")
    if why:
        raise ConfigError(f"[review] name {name!r} {why}: it is the review's folder name (data/screened/<name>)",
                          path=path, line=key_line(path, "name", "review"),
                          hint="use one plain folder name, such as \"asthma-children 2024\": no '/', '\\', control "
                               "characters or < > : \" | ? *, not '.' or '..', no space at either end and no '.' at "
                               "the end (to put the outputs elsewhere, give [review] output_dir)")


# a date written year first ('2022-06-01', '2022/06/01', an ISO timestamp): checked here, and
# read by the PRISMA report's search rounds (prisma.searches.iso_date)
YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?")


def _check_date(text: str, where: str, path: Path) -> None:
    """A date written year-month-day must be one (``2024-13-01`` would be pasted into the
    methods as it stands). Other spellings ('1 May 2024', 'May 2024') are the report's to read:
    it warns of one it cannot place in a search round."""
    if (hit := YMD.fullmatch(" ".join(str(text or "").split()))) is None:
        return
    try:
        _dt.date(*(int(g) for g in hit.groups()))
    except ValueError as err:
        raise ConfigError(f"{where}: date_searched {text!r} is not a date ({err})", path=path,
                          line=key_line(path, "date_searched", where),
                          hint="write the day the search was run as YYYY-MM-DD, e.g. 2024-03-01") from None


def config_parameters(config: Any) -> dict[str, Any]:
    """A stage config as plain JSON-able data, for StageReport.parameters and hashing."""
    if dataclasses.is_dataclass(config):
        return plain(dataclasses.asdict(config))
    return plain(config)


def plain(value: Any) -> Any:
    """``value`` as JSON-able data, for reports and hashes: mappings become dicts with string
    keys, sequences lists, paths strings, numpy scalars Python numbers, anything else its repr
    (e.g. an estimator's parameter that is itself an object)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if getattr(value, "shape", None) == () and hasattr(value, "item"):    # numpy scalar
        return value.item()
    if isinstance(value, type):         # a dtype parameter: 'float32', not "<class 'numpy.float32'>"
        return value.__name__
    return repr(value)
