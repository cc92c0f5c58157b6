"""Choose the torch device a job runs on."""

from __future__ import annotations

import os

import torch

_KNOWN = ("cuda", "mps", "cpu")


def _available(kind: str) -> bool:
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    return kind == "cpu"


def pick_device(prefer: str | None = None) -> torch.device:
    """The device to use: `prefer`, else $ASSAY_DEVICE, else the best available (cuda, mps, cpu).

    "auto" (or empty) means detect. An explicit choice that is not available raises, because
    silently training on the CPU when a GPU was asked for wastes hours.
    """
    choice = (prefer or os.environ.get("ASSAY_DEVICE", "") or "auto").strip().lower()
    if choice == "auto":
        for kind in _KNOWN:
            if _available(kind):
                return torch.device(kind)
    kind = choice.split(":", 1)[0]
    if kind not in _KNOWN:
        raise ValueError(f"unknown device {choice!r}; expected one of auto, cuda, cuda:N, mps, cpu")
    if not _available(kind):
        raise RuntimeError(f"device {choice!r} was requested but is not available on this machine")
    return torch.device(choice)
