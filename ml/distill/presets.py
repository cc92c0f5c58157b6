"""Parameter helpers the context-distillation experiments share (no torch, so cheap to import)."""

from __future__ import annotations

from typing import Any

from ml.experiments import ParamError


def parse_seeds(raw: str) -> list[int]:
    try:
        seeds = [int(s) for s in raw.split(",") if s.strip()]
    except ValueError:
        raise ParamError("seeds", f"comma-separated integers, got {raw!r}") from None
    if not seeds or min(seeds) < 0:
        raise ParamError("seeds", "give at least one non-negative seed")
    return list(dict.fromkeys(seeds))


def with_preset(params: dict[str, Any], smoke: dict[str, Any]) -> dict[str, Any]:
    """`preset=smoke` replaces the size parameters with the experiment's smoke setting."""
    return {**params, **smoke} if params.get("preset") == "smoke" else dict(params)
