"""Named components and model spec strings such as ``"tfidf+svm+balanced+max"``.

A spec names one component of each kind, in the order features+classifier+balance+query,
optionally with parameters: ``"tfidf+svm(C=0.2)+balanced(ratio=5)+max"``. The spec string and
the fitted parameters go into every ranking's report, so a ranking can be reproduced.
"""

from __future__ import annotations

import ast
import copy
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from screening.errors import ConfigError
from screening.normalize import split_top_level
from screening.ml import DEFAULT_SPEC
from screening.ml.balance import BALANCERS
from screening.ml.classifiers import CLASSIFIERS
from screening.ml.features import FEATURES
from screening.ml.query import QUERIES

KINDS: tuple[str, ...] = ("features", "classifier", "balance", "query")
REGISTRY: dict[str, dict[str, type]] = {
    "features": FEATURES, "classifier": CLASSIFIERS, "balance": BALANCERS, "query": QUERIES,
}

_PART = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*(?:\((.*)\))?\s*$")


def register(kind: str, name: str, cls: type) -> None:
    """Add a component (a plugin point): ``register("classifier", "mymodel", MyModel)``."""
    if kind not in REGISTRY:
        raise ValueError(f"unknown component kind {kind!r}")
    REGISTRY[kind][name] = cls


def component_names(kind: str) -> list[str]:
    return sorted(REGISTRY[kind])


@dataclass(frozen=True)
class ModelSpec:
    """A parsed spec: one (name, params) per kind."""

    features: tuple[str, dict[str, Any]] = ("tfidf", {})
    classifier: tuple[str, dict[str, Any]] = ("svm", {})
    balance: tuple[str, dict[str, Any]] = ("balanced", {})
    query: tuple[str, dict[str, Any]] = ("max", {})
    text: str = field(default=DEFAULT_SPEC)

    def build(self, kind: str) -> Any:
        name, params = getattr(self, kind)
        return REGISTRY[kind][name](**params)


def _in(spec: str, part: str) -> str:
    """' in model spec ...' for a part of a whole spec; nothing for a part read on its own (an
    ensemble member), whose error names the member instead."""
    return "" if spec == part else f" in model spec {spec!r}"


def _params(text: str, spec: str, part: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not text or not text.strip():
        return out
    for item in (i for i in split_top_level(text, ",", quotes=True) if i.strip()):
        if "=" not in item:
            raise ConfigError(f"bad parameter {item.strip()!r}{_in(spec, part)}",
                              hint="write parameters as name(key=value, key=value)")
        key, value = item.split("=", 1)
        try:
            out[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            out[key.strip()] = value.strip()
    return out


def parse_spec(spec: str | None) -> ModelSpec:
    """Parse ``"tfidf+svm+balanced+max"``; missing trailing parts take the defaults.

    Raises :class:`ConfigError` naming the unknown component and listing the valid names.
    """
    if spec is not None and not spec.strip():
        # '--model ""' used to run the default silently
        raise ConfigError("the model spec is empty",
                          hint=f"name a model, e.g. {DEFAULT_SPEC!r} (the default)")
    spec = (spec or DEFAULT_SPEC).strip()
    parts = [p for p in re.split(r"\+(?![^()]*\))", spec)]
    if len(parts) > len(KINDS):
        raise ConfigError(f"model spec {spec!r} has {len(parts)} parts, at most {len(KINDS)}",
                          hint=f"write features+classifier+balance+query, e.g. {DEFAULT_SPEC!r}")
    defaults = ModelSpec()
    chosen = {kind: _component(kind, part, spec)[:2] for kind, part in zip(KINDS, parts)}
    for kind in KINDS:
        chosen.setdefault(kind, getattr(defaults, kind))
    text = "+".join(_fmt(*chosen[k]) for k in KINDS)
    return ModelSpec(**chosen, text=text)


def _component(kind: str, part: str, spec: str) -> tuple[str, dict[str, Any], Any]:
    """``"name"`` or ``"name(key=value, ...)"`` of ``kind``: its name, parameters and an instance."""
    m = _PART.match(part)
    if not m:
        raise ConfigError(f"cannot read {part!r}{_in(spec, part)}",
                          hint=f"e.g. {DEFAULT_SPEC!r} or 'tfidf+svm(C=0.2)+balanced+max'")
    name, params = m.group(1), _params(m.group(2) or "", spec, part)
    if name not in REGISTRY[kind]:
        raise ConfigError(f"unknown {kind} {name!r}{_in(spec, part)}",
                          hint=f"{kind} names: {', '.join(component_names(kind))}")
    _check_names(kind, name, REGISTRY[kind][name], params)
    _check_types(kind, name, REGISTRY[kind][name], params)
    try:
        component = REGISTRY[kind][name](**params)
    except TypeError as err:
        raise ConfigError(f"bad parameters for {kind} {name!r}: {err}", hint="see docs/ranking.md") from None
    _validate(kind, name, component)
    return name, params, component


def _validate(kind: str, name: str, component: Any) -> None:
    """Refuse a bad value when the spec is read, not inside scikit-learn after the features
    are built: 'svm(loss="foo")' used to end in InvalidParameterError, an ensemble's weights
    of the wrong length in a matrix-shape error (acceptance testing, session 15)."""
    try:
        if hasattr(component, "validate"):
            component.validate()
        make = getattr(component, "_make", None)
        model = make() if make is not None else None
        if model is not None and hasattr(model, "_validate_params"):
            model._validate_params()        # scikit-learn's own parameter constraints
    except ConfigError:
        raise
    except (ValueError, TypeError) as err:
        raise ConfigError(f"bad parameters for {kind} {name!r}: {err}", hint="see docs/ranking.md") from None


def _check_names(kind: str, name: str, cls: type, params: dict[str, Any]) -> None:
    """'svm(foo=1)' named the parameter only in Python's words ('SVM.__init__() got an
    unexpected keyword argument'): say which parameters the component has."""
    import inspect

    try:
        sig = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig):
        return
    allowed = [p.name for p in sig if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                  inspect.Parameter.KEYWORD_ONLY)]
    for key in params:
        if key not in allowed:
            raise ConfigError(f"unknown parameter {key!r} for {kind} {name!r} "
                              + (f"(its parameters: {', '.join(allowed)})" if allowed else "(it has no parameters)"),
                              hint="see docs/ranking.md")


def _check_types(kind: str, name: str, cls: type, params: dict[str, Any]) -> None:
    """A number where the component's default is a number: 'svm(C=abc)' used to pass here and
    fail later inside scikit-learn with a traceback."""
    import inspect

    try:
        defaults = {p.name: p.default for p in inspect.signature(cls).parameters.values()}
    except (TypeError, ValueError):
        return
    for key, value in params.items():
        default = defaults.get(key, inspect.Parameter.empty)
        numeric = isinstance(default, (int, float)) and not isinstance(default, bool)
        if isinstance(default, int) and not isinstance(default, bool) and isinstance(value, float) \
                and value.is_integer():
            params[key] = value = int(value)        # 'max_iter=1e4' means 10000
        if numeric and not (isinstance(value, (int, float)) and not isinstance(value, bool)):
            raise ConfigError(f"{kind} {name!r}: {key} must be a number, got {value!r}",
                              hint=f"e.g. {name}({key}={default})")
        # an (n, m) range has two numbers; a tuple of names (tfidf's fields, ensemble members)
        # any number of them, at least one
        ranged = isinstance(default, tuple) and all(isinstance(d, int) for d in default)
        if ranged and not (isinstance(value, (tuple, list)) and len(value) == len(default)):
            raise ConfigError(f"{kind} {name!r}: {key} must be a tuple of {len(default)}, got {value!r}",
                              hint=f"e.g. {name}({key}={default})")
        if isinstance(default, tuple) and not ranged and not (
                isinstance(value, (tuple, list)) and value and all(isinstance(v, str) and v for v in value)):
            raise ConfigError(f"{kind} {name!r}: {key} must be a tuple of names, got {value!r}",
                              hint=f"e.g. {name}({key}={default})")
        if isinstance(default, tuple):
            params[key] = value = tuple(value)
            if ranged and not (
                    all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)
                    and list(value) == sorted(value)):
                raise ConfigError(f"{kind} {name!r}: {key} must be whole numbers from 1 up, smallest first, "
                                  f"got {value!r}", hint=f"e.g. {name}({key}={default})")
        if numeric and default > 0 and value <= 0:     # C, ratio, every, max_iter...: 'mixed(every=0)' divided by 0
            raise ConfigError(f"{kind} {name!r}: {key} must be greater than 0, got {value!r}",
                              hint=f"e.g. {name}({key}={default})")


def build_component(kind: str, text: str) -> Any:
    """A new component from its spec part, e.g. ``build_component("classifier", "svm(C=0.2)")``.

    The part is read and checked once (:func:`_checked_part`): an ensemble builds its members
    on every fit, and re-running the checks there cost ~0.1 ms per member per update."""
    name, params = _checked_part(kind, text)
    return REGISTRY[kind][name](**copy.deepcopy(dict(params)))     # no list shared between instances


@functools.lru_cache(maxsize=256)
def _checked_part(kind: str, text: str) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """(name, parameters) of a spec part that built and passed :func:`_validate` (errors are
    raised every time, not cached)."""
    name, params, _ = _component(kind, text, text)
    return name, tuple(params.items())


def _fmt(name: str, params: dict[str, Any]) -> str:
    if not params:
        return name
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in sorted(params.items()))})"
