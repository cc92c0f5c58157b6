"""The experiment registry: one place that names each experiment, its parameters and its entry point.

The web form, the REST API and the CLI are all built from these records, so a parameter is
declared once. Entry points take validated plain values and return plain values.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ParamError(ValueError):
    """A parameter failed validation; `field` names it so a form or API can point at it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Cancelled(Exception):
    """Raised by a progress callback to stop an experiment at its next report."""


# report(fraction_done in [0, 1], message) -> None. It may raise Cancelled.
ProgressFn = Callable[[float, str], None]


def save_figure(fig: Any, out_stem: Path) -> list[Path]:
    """Save a matplotlib figure as `out_stem`.png and .svg (what evalhub shows); returns both paths."""
    paths = [out_stem.with_suffix(".png"), out_stem.with_suffix(".svg")]
    for path in paths:
        fig.savefig(path)
    return paths


def parse_seeds(raw: str, field: str = "seeds") -> list[int]:
    """Comma-separated seeds and inclusive ranges ("0,1,2", "0-7", "0-3,9"), deduplicated in order."""
    seeds: list[int] = []
    try:
        for part in (p.strip() for p in raw.split(",")):
            if not part:
                continue
            low, dash, high = part.partition("-")
            seeds.extend(range(int(low), int(high) + 1) if dash and low else [int(part)])
    except ValueError:
        raise ParamError(field, f"comma-separated integers or ranges like 0-7, got {raw!r}") from None
    if not seeds or min(seeds) < 0:
        raise ParamError(field, "give at least one non-negative seed")
    return list(dict.fromkeys(seeds))


def with_preset(params: dict[str, Any], smoke: dict[str, Any]) -> dict[str, Any]:
    """`preset=smoke` replaces the size parameters with the experiment's smoke setting."""
    return {**params, **smoke} if params.get("preset") == "smoke" else dict(params)


def scaled(report: ProgressFn, lo: float, hi: float) -> ProgressFn:
    """A report function mapping [0, 1] onto [lo, hi] of the whole run (for one stage of several)."""
    return lambda fraction, message: report(lo + (hi - lo) * fraction, message)


@dataclass(frozen=True)
class Param:
    name: str
    type: type  # int, float, str or bool
    default: Any
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] | None = None

    def coerce(self, raw: Any) -> Any:
        """Turn a raw value (from JSON, a form or `--set k=v`) into this parameter's type."""
        try:
            if self.type is bool:
                if isinstance(raw, bool):
                    value = raw
                elif str(raw).strip().lower() in ("1", "true", "yes", "on"):
                    value = True
                elif str(raw).strip().lower() in ("0", "false", "no", "off", ""):
                    value = False
                else:
                    raise ValueError
            elif self.type is int:
                if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                    raise ValueError
                value = int(str(raw).strip()) if isinstance(raw, str) else int(raw)
            elif self.type is float:
                if isinstance(raw, bool):
                    raise ValueError
                value = float(raw)
                if value != value or value in (float("inf"), float("-inf")):
                    raise ValueError
            else:
                if not isinstance(raw, (str, int, float)):
                    raise ValueError
                value = str(raw)
        except (TypeError, ValueError):
            raise ParamError(self.name, f"expected {self.type.__name__}, got {raw!r}") from None
        if self.min is not None and value < self.min:
            raise ParamError(self.name, f"must be >= {self.min}")
        if self.max is not None and value > self.max:
            raise ParamError(self.name, f"must be <= {self.max}")
        if self.choices is not None and value not in self.choices:
            raise ParamError(self.name, f"must be one of {list(self.choices)}")
        return value


@dataclass(frozen=True)
class ArtifactOut:
    """A file an experiment wrote under its work directory, to be stored with the run."""

    path: Path
    kind: str  # "checkpoint", "dataset", "plot", "metrics", "other"
    name: str = ""


@dataclass
class ExperimentResult:
    metrics: dict[str, Any] = field(default_factory=dict)
    artifacts: list[ArtifactOut] = field(default_factory=list)


# entry(params, workdir, report) -> ExperimentResult
EntryFn = Callable[[dict[str, Any], Path, ProgressFn], ExperimentResult]


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    entry: str  # "package.module:function", imported only when the experiment runs
    queue: str = "cpu"  # "gpu" for torch jobs that benefit from an accelerator
    # checks that span parameters (raising ParamError), so a bad combination is refused on submission
    check: Callable[[dict[str, Any]], None] | None = None

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def validate(self, raw: dict[str, Any] | None) -> dict[str, Any]:
        """Defaults overlaid with `raw`, each value coerced and range-checked."""
        raw = dict(raw or {})
        known = {p.name: p for p in self.params}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ParamError(unknown[0], f"unknown parameter for {self.name}")
        params = {name: p.coerce(raw[name]) if name in raw else p.default for name, p in known.items()}
        if self.check is not None:
            self.check(params)
        return params

    def load_entry(self) -> EntryFn:
        module, _, func = self.entry.partition(":")
        return getattr(importlib.import_module(module), func)


_REGISTRY: dict[str, Experiment] = {}


def register(experiment: Experiment) -> Experiment:
    if experiment.name in _REGISTRY and _REGISTRY[experiment.name] != experiment:
        raise ValueError(f"experiment {experiment.name!r} registered twice")
    _REGISTRY[experiment.name] = experiment
    return experiment


def _load_catalog() -> None:
    # Importing the catalog registers every experiment; it imports no torch.
    importlib.import_module("ml.catalog")


def get(name: str) -> Experiment:
    _load_catalog()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ParamError("kind", f"unknown experiment {name!r}; known: {sorted(_REGISTRY)}") from None


def all_experiments() -> list[Experiment]:
    _load_catalog()
    return sorted(_REGISTRY.values(), key=lambda e: e.name)
